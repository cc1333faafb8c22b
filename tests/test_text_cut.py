"""Where long text is cut for a message or a map's tooltip (carried since #12: "the shortened long name can cut
Mongolian script mid-word"). Mongolian letters take their form from their place in a word and from the variation
selector after them: a cut between a letter and its selector, or inside a word, shows a letter nobody wrote."""

from __future__ import annotations

import unicodedata

from geo.messages import quoted
from geo.text import cut
from maps.templating import shorten

# 呼和浩特的新城区 (Hohhot's Xincheng district) in Mongolian script: words with a free variation selector (U+180B),
# the Mongolian vowel separator (U+180E) and a suffix tied by a narrow no-break space (U+202F)
MONGOLIAN = "ᠬᠥᠬᠡᠬᠣᠲᠠ\u202fᠶᠢᠨ ᠰᠢᠨ\u180eᠡ ᠬᠣᠲᠠ ᠲᠣ\u180bᠭᠣᠷᠢᠭ ᠤᠨ ᠠᠯᠪᠠᠨ ᠭᠠᠵᠠᠷ"
TIED = "\u180b\u180c\u180d\u180e\u180f\u200c\u200d\u202f"


def _is_letter(char: str) -> bool:
    return "\u1820" <= char <= "\u18aa"


def test_a_cut_never_splits_a_letter_from_what_shapes_it():
    for most in range(1, len(MONGOLIAN) + 1):
        kept = cut(MONGOLIAN, most)
        assert len(kept) <= most and MONGOLIAN.startswith(kept)
        rest = MONGOLIAN[len(kept):]
        assert not kept.endswith(tuple(TIED)), (most, kept)
        assert not rest.startswith(tuple(TIED.replace("\u202f", ""))), (most, rest)  # before a tied suffix: a word
    accented = "Xi\u0301ncheng"
    assert cut(accented, 2) == "X" and cut(accented, 3) == "Xi\u0301"


def test_a_mongolian_name_is_cut_between_words_where_it_can_be():
    for most in range(len("ᠬᠥᠬᠡᠬᠣᠲᠠ\u202fᠶᠢᠨ ") + 1, len(MONGOLIAN)):
        kept = cut(MONGOLIAN, most)
        following = MONGOLIAN[len(kept)]
        assert following in " \u202f", (most, kept)  # the next word (or suffix) untouched, no letter of a cut one
    assert cut(MONGOLIAN, 5) == MONGOLIAN[:5]  # one long word: no space to cut at, cut at a letter


def test_chinese_is_cut_at_any_character_and_short_text_is_kept():
    assert cut("新城区锡林郭勒南路", 4) == "新城区锡"
    assert cut("东二环路", 10) == "东二环路"
    assert shorten("新城区锡林郭勒南路", 5) == "新城区锡…"


def test_messages_and_tooltips_cut_mongolian_as_words():
    shown = quoted(MONGOLIAN, max_chars=30)
    inner = shown.removeprefix("「").removesuffix("…」")
    assert MONGOLIAN.startswith(inner) and MONGOLIAN[len(inner)] == " ", shown
    tip = shorten(MONGOLIAN, 20).removesuffix("…")
    assert MONGOLIAN.startswith(tip) and MONGOLIAN[len(tip)] == " " and _is_letter(tip[-1]), tip
    assert all(unicodedata.category(c) != "Cn" for c in tip)


def test_other_scripts_clusters_are_kept_whole_and_a_value_is_never_lost():
    """Second review: a skin-tone modifier, a flag (two regional indicators, or a tag sequence) and a Hangul syllable
    in jamo were split; a letter under fifty marks gave an empty cut; an echo could end inside a code it writes."""
    assert cut("👍🏽" * 10, 7) == "👍🏽" * 3
    assert cut("🇨🇳" * 10, 7) == "🇨🇳" * 3
    england = "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"
    assert cut(england * 3, 9) == england
    assert cut("\u1100\u1161\u11a8" * 5, 4) == "\u1100\u1161\u11a8"
    assert cut("a" + "\u0301" * 50 + "b", 10) == "a" + "\u0301" * 9  # not "": something of the value is shown
    echoed = quoted("\u202e" * 100, max_chars=10)
    assert echoed == "「" + "\\u202e" * 10 + "…」", echoed


def test_a_hangul_syllable_keeps_a_final_jamo_written_after_it():
    """Third review: a precomposed syllable followed by a final jamo (가 + ᆨ, read as 각) was cut between them."""
    assert cut("\uac00\u11a8" * 10, 7) == "\uac00\u11a8" * 3
