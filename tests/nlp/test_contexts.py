"""Every token is judged, not only entities: the stretches of text that are negated,
hypothetical or about the family, which the search index keeps apart."""

from __future__ import annotations

from clinsearch.nlp.annotate import analyse


def stretches(text: str, lang: str = "fr") -> list[tuple[str, str]]:
    return [(text[c.start: c.end], c.context) for c in analyse(text, lang, full=False).contexts]


def test_words_that_are_no_entity_take_the_context_of_their_cue():
    assert stretches("Pas de céphalées ni de vertiges. Douleur thoracique.") == [("de céphalées", "negated"), ("de vertiges", "negated")]


def test_hypothesis_and_family_stretches():
    found = stretches("Suspicion de fracture du poignet. Mère décédée d'un cancer du sein.")
    assert ("de fracture du poignet", "hypothetical") in found
    assert any(context == "family" and "cancer du sein" in text for text, context in found)


def test_an_entity_decides_for_its_own_tokens():
    # "embolie pulmonaire" is negated as an entity, and the index must agree with note_nlp
    analysis = analyse("Pas d'embolie pulmonaire.", full=False)
    [entity] = [e for e in analysis.entities if e.text == "embolie pulmonaire"]
    assert entity.negated
    assert any(c.start <= entity.start and entity.end <= c.end and c.context == "negated" for c in analysis.contexts)


def test_english_stretches():
    assert stretches("No fever or chills. Cough.", "en") == [("fever or chills", "negated")]


def test_affirmed_text_has_no_stretch():
    assert stretches("Embolie pulmonaire bilatérale confirmée.") == []


def reference_contexts(doc) -> list[tuple[int, int, str]]:
    """The stretches worked out the plain way, token by token through spaCy's ``token._``."""
    def context(obj):
        for name, label in (("family", "family"), ("negation", "negated"), ("hypothesis", "hypothetical")):
            if getattr(obj._, name, None):
                return label
        return None

    labels = [context(token) for token in doc]
    for span in doc.ents:
        for i in range(span.start, span.end):
            labels[i] = context(span)
    runs: list[list] = []
    for token, label in zip(doc, labels):
        if label is not None and runs and runs[-1][2] == label and runs[-1][3] == token.i - 1:
            runs[-1][1], runs[-1][3] = token.idx + len(token.text), token.i
        elif label is not None:
            runs.append([token.idx, token.idx + len(token.text), label, token.i])
    return [(start, end, label) for start, end, label, _ in runs]


def test_stretches_of_whole_notes_are_those_token_by_token(nlp, demo_texts):
    from clinsearch.nlp.annotate import contexts

    texts = demo_texts[:12] + ["", "Antécédents familiaux :\nMère diabétique.\n\nPas de fièvre, ni d'embolie pulmonaire. Suspicion d'EP à éliminer."]
    found = 0
    for text in texts:
        doc = nlp(text)
        ours = [(c.start, c.end, c.context) for c in contexts(doc)]
        assert ours == reference_contexts(doc)
        found += len(ours)
    assert found > 20
