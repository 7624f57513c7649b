"""The words of the learning pages, in French (the default) and English (merged by ``i18n.words``);
the exercises' own texts are in ``learning.json``."""

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "learn_title": "Parcours d'apprentissage sur la démo",
        "learn_intro": "Six exercices courts pour lire un algorithme d'un œil critique : mettre un score à l'épreuve, créer un modèle, "
                       "le voir sur-apprendre, tomber dans le piège de la maladie déjà présente, comparer deux scores, trouver des patients semblables. "
                       "Chacun donne les pages et les commandes à utiliser, les chiffres obtenus sur la démo, les questions à se poser et ce que veulent dire les chiffres.",
        "learn_setup": "Avant de commencer", "learn_contents": "Exercices",
        "learn_goal": "Objectif", "learn_in_app": "Dans l'application", "learn_pages": "Pages", "learn_forms": "Raccourcis",
        "learn_forms_help": "Chaque bouton envoie l'exemple tel quel à la page ; vous pourrez le modifier ensuite.",
        "learn_definitions": "Les définitions utilisées (JSON, à copier)",
        "learn_commands": "En ligne de commande", "learn_figures": "Sur la démo (graine 42), nous avons obtenu",
        "learn_figures_note": "Vos chiffres peuvent différer si la démo a été construite autrement ou si des modèles ont été enregistrés sous d'autres réglages.",
        "learn_questions": "Questions à se poser", "learn_meaning": "Ce que veulent dire les chiffres",
        "learn_doc": "La même chose, plus détaillée : docs/learning.md.",
        "learn_researcher": "Vous êtes connecté·e en chercheur : les dossiers s'ouvrent par pseudonyme (depuis la recherche), les effectifs sous 10 sont masqués.",
    },
    "en": {
        "learn_title": "Learning path on the demo",
        "learn_intro": "Six short exercises to read an algorithm critically: challenge a score, create a model, see it over-fit, "
                       "fall into the prevalent-disease trap, compare two scores, find look-alike patients. "
                       "Each gives the pages and the commands to use, the figures obtained on the demo, the questions to ask and what the figures mean.",
        "learn_setup": "Before you start", "learn_contents": "Exercises",
        "learn_goal": "Goal", "learn_in_app": "In the application", "learn_pages": "Pages", "learn_forms": "Shortcuts",
        "learn_forms_help": "Each button sends the example as it is to the page; you can change it there.",
        "learn_definitions": "The definitions used (JSON, to copy)",
        "learn_commands": "On the command line", "learn_figures": "On the demo (seed 42), we obtained",
        "learn_figures_note": "Your figures may differ if the demo was built otherwise or models were saved with other settings.",
        "learn_questions": "Questions to ask", "learn_meaning": "What the figures mean",
        "learn_doc": "The same, in more detail: docs/learning.md.",
        "learn_researcher": "You are logged in as a researcher: records open by pseudonym (from search), counts under 10 are withheld.",
    },
}
