"""A small synthetic news site for the site-learning and reextract tests.

Five articles of one site, each with its own story and the same closing
paragraph about the publication, which no boilerplate rule describes; one
background paragraph recurs in two of them, as a newsroom repeats context in
follow-ups. The feed grows one article per poll, so the order in which the
store learns the articles is fixed.
"""

from __future__ import annotations

from conftest import LocalServer, Response, article_html, rss

FOOTER = (
    "The Hollowvale Courier is written by volunteers from the valley's eleven parishes and "
    "printed on recycled paper in the old mill at Ashford every second Thursday."
)
BACKGROUND = (
    "The Ashford bridge opened in 1932 and carries about forty thousand vehicles a day "
    "between the two halves of the valley."
)
STORIES = [
    ("Bridge repairs start in May",
     ["Engineers will close one lane of the Ashford bridge from the first week of May while corroded cables are replaced.",
      "The county said the work would take eleven weeks and cost close to two million pounds, paid from the roads budget.",
      "Bus operators have promised extra services on the northern route during the closure to keep waiting times down."]),
    ("Traders fear bridge closure",
     ["Shopkeepers on Mill Street say the planned lane closure could cut their takings by a third over the summer season.",
      BACKGROUND,
      "The chamber of commerce has asked the county to schedule the heaviest work at night and on Sunday mornings."]),
    ("Library extends opening hours",
     ["The central library will stay open until nine in the evening on weekdays from September, the council announced.",
      "Librarians said students had asked for quiet study space during the exam period for several years in a row.",
      "The extra hours are funded by a grant from the regional arts trust for an initial trial period of two years."]),
    ("County answers traders on bridge works",
     ["The county engineer met Mill Street traders on Monday and agreed to move the loudest cable work to night shifts.",
      BACKGROUND,
      "A liaison officer will hold a weekly surgery in the market hall for as long as the repairs continue."]),
    ("Orchard harvest festival returns",
     ["The orchard festival returns to Ashford green this autumn after a three-year pause caused by rising insurance costs.",
      "Organisers expect around five thousand visitors for cider pressing, a brass band and a children's apple race.",
      "Volunteers are still needed to staff the gates and the lost children tent over the festival weekend."]),
]
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}
# Config for tests of site learning: the paragraph model may take the footer
# from an article on its own (it is a note about the publication), and these
# tests follow what the site statistic alone does with it.
WITHOUT_MODEL = '[boilerplate]\ndisable = ["paragraph-model"]\n'



class SyntheticSite:
    """Serves the site's feed and pages; ``published`` is how many articles the feed lists."""

    def __init__(self, server: LocalServer, published: int = 0) -> None:
        self.server = server
        self.published = published
        server.routes["/feed.xml"] = lambda request: Response(self.feed(), headers={"Content-Type": "application/rss+xml"})
        for number, (title, paragraphs) in enumerate(STORIES, start=1):
            server.routes[f"/story/{number}.html"] = Response(
                article_html(title, [*paragraphs, FOOTER], site="Hollowvale Courier"), headers=HTML_HEADERS
            )

    @property
    def feed_url(self) -> str:
        return self.server.url("/feed.xml")

    def page_url(self, number: int) -> str:
        return self.server.url(f"/story/{number}.html")

    def feed(self) -> str:
        items = [
            {"title": title, "link": self.page_url(number), "guid": f"story-{number}", "description": title}
            for number, (title, _) in enumerate(STORIES[: self.published], start=1)
        ]
        return rss(items, title="Hollowvale Courier")
