"""Authors from the byline's markup, for a page that declares none: the article's author, nobody else's."""

import pytest
from lxml.html import fromstring

from newsd.daemon.byline import byline_authors, byline_names

STORY = "".join(f"<p>The council met on Tuesday to discuss the new bus lanes, paragraph {n}.</p>" for n in range(4))


def authors(markup: str) -> list[str]:
    return byline_authors(fromstring(f"<html><body>{markup}</body></html>"))


@pytest.mark.parametrize("byline, expected", [
    ('<p class="byline">By Jane Miller</p>', ["Jane Miller"]),
    ('<div class="c-byline"><span>By</span> <a rel="author" href="/people/jm">Jane Miller</a> | <time>3 March 2024</time></div>',
     ["Jane Miller"]),
    ('<div class="article-byline">Von Anna Schmidt und Peter Müller, 03.03.2024</div>', ["Anna Schmidt", "Peter Müller"]),
    ('<div itemprop="author" itemscope><span itemprop="name">Jean Dupont</span> <span>Reporter, 12 ans</span></div>',
     ["Jean Dupont"]),
    ('<span class="author-name">Ursula von der Leyen</span>', ["Ursula von der Leyen"]),
    # a box around the author elements: the names are theirs, all of them
    ('<div class="byline-section"><span class="author">Tom Davies</span> Associated Press Published 11:34 PM</div>',
     ["Tom Davies"]),
    ('<div class="byline">By <span class="author">Jane Miller</span> and <span class="author">Tom Okafor</span></div>',
     ["Jane Miller", "Tom Okafor"]),
    # a label before the name is no name
    ('<span class="author-label">Author</span> <a rel="author" href="/a/jm">Jane Miller</a>', ["Jane Miller"]),
])
def test_the_byline_gives_the_authors(byline, expected):
    assert authors(f"<article><h1>Bus lanes</h1>{byline}{STORY}</article>") == expected


@pytest.mark.parametrize("page", [
    # a commenter is not the article's author, whatever the comment system calls itself
    f'<article>{STORY}</article><section id="comments"><div class="comment-author"><cite>Bob Smith</cite></div></section>',
    f'<article>{STORY}</article><div id="disqus_thread"><span class="author">Robert Hayes</span></div>',
    f'<article>{STORY}</article><div class="discussion"><span class="byline">By Maria Gonzales</span></div>',
    # nor the authors of other stories, nor a menu
    f'<aside class="related"><span class="byline">By Tom Okafor</span></aside><article>{STORY}</article>',
    f'<div class="sidebar"><p class="author">By Li Wei</p></div><article>{STORY}</article>',
    f'<nav><ul><li class="menu-item-authors"><a href="/authors">Our Authors</a></li></ul></nav><article>{STORY}</article>',
    f'<div class="top-bar"><a class="author-login" href="/login">Contributor Login</a></div><article>{STORY}</article>',
    # nor a photographer or a quoted author
    f'<article><figure><img src="a.jpg"><figcaption><span class="author">Tom Okafor</span></figcaption></figure>{STORY}</article>',
    f'<article>{STORY}<blockquote>Four score and seven years ago <cite class="author">Abraham Lincoln</cite></blockquote></article>',
    # an author's bio is no byline, nor a share line in a byline's box
    f'<article>{STORY}<div class="author-bio">Jane Miller has covered city hall for the Courier since 2009, and the courts before that.</div></article>',
    f'<article><p class="byline">Share this article</p>{STORY}</article>',
])
def test_names_that_are_not_the_articles_author_are_left_out(page):
    assert authors(page) == []


def test_the_articles_byline_wins_over_a_trending_box_before_it():
    page = f'<aside class="trending"><span class="byline">By Li Wei</span></aside><article><p class="byline">By Jane Miller</p>{STORY}</article>'
    assert authors(page) == ["Jane Miller"]


@pytest.mark.parametrize("text, expected", [
    ("Posted by Vortex", ["Vortex"]),
    ("Opinion by Jane Miller", ["Jane Miller"]),
    ("Jeff Foust Monday, March 4, 2024", ["Jeff Foust"]),
    ("By Jane Miller Updated 3:45 PM EST", ["Jane Miller"]),
    ("By Jane Miller (@janemiller)", ["Jane Miller"]),
    ("By Jane Miller, Staff Writer", ["Jane Miller"]),
    ("Jane Miller and Tom Okafor, The Associated Press", ["Jane Miller", "Tom Okafor"]),
    ("By Jane Miller, Tom Okafor and Li Wei", ["Jane Miller", "Tom Okafor", "Li Wei"]),
    ("Par Jeanne Martin, publié le 5 mars 2024", ["Jeanne Martin"]),
    ("By JANE MILLER", ["Jane Miller"]),
    ("Photo by Tom Okafor", []),
    ("March 5, 2024", []),
    ("From staff reports", []),
])
def test_what_surrounds_the_names_in_a_byline_is_left_out(text, expected):
    assert byline_names(text) == expected
