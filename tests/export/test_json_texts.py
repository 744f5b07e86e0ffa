"""The cached JSON text of a string is what the JSON encoder writes for its neutralised form."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from amlguard.export.values import UNSAFE, Clean, JsonTexts


@settings(derandomize=True, max_examples=300)
@given(st.text(max_size=60))
def test_text_is_the_encoders_json_of_the_neutralised_string(text: str) -> None:
    clean = Clean()
    texts = JsonTexts(clean)
    first = texts[text]
    assert first == json.dumps(clean[text], ensure_ascii=False)
    assert not UNSAFE.search(json.loads(first))
    assert texts[text] is first  # computed once


def test_without_clean_the_text_is_encoded_as_it_is() -> None:
    assert JsonTexts(None)['a"b\\c'] == '"a\\"b\\\\c"'
    assert JsonTexts(Clean())["a\x1bb"] == '"a\ufffdb"'
