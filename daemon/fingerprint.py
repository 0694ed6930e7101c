"""Story fingerprints for near-duplicate lookup: MinHash signatures and their LSH band keys. Pure.

A text's fingerprint is a MinHash signature of its word 3-shingles (case,
punctuation and spacing folded), computed by one-permutation hashing with
densification (Li, Owen and Zhang 2012; Shrivastava 2017): each shingle is
hashed once, its hash picks one of ``SIGNATURE_SIZE`` bins, and each bin keeps
its smallest hash; an empty bin borrows from the next non-empty bin on a
fixed probe sequence. The share of equal bins between two signatures
estimates the Jaccard similarity of the shingle sets, as classic MinHash
with 128 hash functions does, at a hundredth of its cost in pure Python
(docs/benchmarks.md).

For lookup the signature is cut into ``BANDS`` bands of ``ROWS`` values; two
texts become candidates when any band is equal. With 32 bands of 4 rows a
pair of similarity 0.5 meets in at least one band 87% of the time, 0.6 99%,
0.3 only 23%. A teaser (the first part of a story) has a low similarity with
the full text, so a few more keys, of its first paragraphs' openings, find it.
"""

from __future__ import annotations

import hashlib
import random
import struct
from collections.abc import Sequence

from newsd.daemon.text import normalise_for_hash

SHINGLE_WORDS = 3
SIGNATURE_SIZE = 128
BANDS, ROWS = 32, 4
_BIN_BITS = SIGNATURE_SIZE.bit_length() - 1  # 7: the low bits of a hash pick its bin
_BIN_MASK = SIGNATURE_SIZE - 1
_PACKED = struct.Struct(f"<{SIGNATURE_SIZE}I")
# Where an empty bin borrows from: a fixed order of the other bins, the same for every text.
_rng = random.Random(20261123)
_PROBES = tuple(tuple(_rng.sample([j for j in range(SIGNATURE_SIZE) if j != i], SIGNATURE_SIZE - 1))
                for i in range(SIGNATURE_SIZE))
Signature = tuple[int, ...]


def words(text: str) -> list[str]:
    """The text's words with case and punctuation folded: what fingerprints compare."""
    return normalise_for_hash(text).split()


def _hash64(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "little")


def shingle_hashes(text: str) -> set[int]:
    """64-bit hashes of the text's word 3-shingles (the whole text when it is shorter)."""
    folded = words(text)
    if not folded:
        return set()
    last = max(1, len(folded) - SHINGLE_WORDS + 1)
    return {_hash64(" ".join(folded[i:i + SHINGLE_WORDS])) for i in range(last)}


def signature(text: str) -> Signature:
    """The text's MinHash signature; empty for a text without words."""
    hashes = shingle_hashes(text)
    if not hashes:
        return ()
    bins: list[int | None] = [None] * SIGNATURE_SIZE
    for value in hashes:
        # 32 bits of the rest are plenty (a chance tie is 1 in 4 billion) and halve the stored size
        index, rest = value & _BIN_MASK, (value >> _BIN_BITS) & 0xFFFFFFFF
        current = bins[index]
        if current is None or rest < current:
            bins[index] = rest
    return tuple(value if value is not None else _borrowed(bins, index) for index, value in enumerate(bins))


def _borrowed(bins: list[int | None], index: int) -> int:
    for other in _PROBES[index]:
        value = bins[other]
        if value is not None:
            return value
    raise AssertionError("a signature of a non-empty text has a filled bin")


def similarity(first: Sequence[int], second: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures (0 when either is empty)."""
    if not first or not second:
        return 0.0
    return sum(a == b for a, b in zip(first, second)) / SIGNATURE_SIZE


def band_keys(sig: Signature) -> list[int]:
    """One signed 64-bit key per band (SQLite's INTEGER), the band's number mixed in."""
    if not sig:
        return []
    keys = []
    for band in range(BANDS):
        rows = struct.pack(f"<H{ROWS}I", band, *sig[band * ROWS:(band + 1) * ROWS])
        keys.append(int.from_bytes(hashlib.blake2b(rows, digest_size=8).digest(), "little", signed=True))
    return keys


# Opening keys: the first words of each of a text's first few long paragraphs.
OPENING_PARAGRAPHS = 3
OPENING_WORDS = 12
_OPENING_BAND = 0xFFFF


def opening_keys(text: str) -> list[int]:
    """Keys for the openings of the text's first long paragraphs: where a teaser meets its story.

    A teaser (a story's first paragraphs) has too low a shingle similarity
    with the full text for the bands, but shares its first paragraphs. One
    key per paragraph, not one for the text's first words, because two
    prints of a story seldom begin alike: one has a kicker or standfirst
    line above the lead, the other drops the lead into its summary. Short
    paragraphs (datelines, headings, bullets of a few words) are skipped.
    """
    keys = []
    for paragraph in text.split("\n"):
        folded = words(paragraph)
        if len(folded) < OPENING_WORDS:
            continue
        opening = struct.pack("<H", _OPENING_BAND) + " ".join(folded[:OPENING_WORDS]).encode("utf-8")
        keys.append(int.from_bytes(hashlib.blake2b(opening, digest_size=8).digest(), "little", signed=True))
        if len(keys) == OPENING_PARAGRAPHS:
            break
    return keys


def containment(jaccard: float, first_size: int, second_size: int) -> float:
    """The share of the smaller set inside the larger, from their Jaccard similarity and sizes.

    |A ∩ B| = J (|A| + |B|) / (1 + J); a teaser of a story has a low Jaccard
    similarity with it but lies almost whole inside it.
    """
    smaller = min(first_size, second_size)
    if smaller <= 0:
        return 0.0
    return min(1.0, jaccard * (first_size + second_size) / ((1 + jaccard) * smaller))


def pack(sig: Signature) -> bytes:
    """The signature as bytes for the store (512 bytes)."""
    return _PACKED.pack(*sig) if sig else b""


def unpack(data: bytes) -> Signature:
    return _PACKED.unpack(data) if data else ()
