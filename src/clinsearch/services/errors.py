"""The errors a face turns into a message, an HTTP status or an exit code, in one place: the
faces import them from here rather than from the layers that raise them.

======================  =====================================  ======  =========
error                   meaning                                HTTP    exit code
======================  =====================================  ======  =========
``AccessDenied``        the principal may not see this         403     1
``NotFound``            no such patient, note or cohort        404     1
``QueryError``          a search query that does not parse     400     2
``DefinitionError``     a cohort definition that cannot run    400     2
``ScoreInputError``     a score's input that is not valid      400     2
``EvaluationError``     a table that cannot be evaluated       400     1
``TrainingError``       data a model cannot be trained on      400     1
``ModelError``          a model name unknown, or a model file  400     2
                        altered or of another scikit-learn
``SearchError``         the index is missing or unreadable     503     1
``WarehouseError``      the warehouse cannot be opened         503     1
``OutputError``         an output that cannot be written       --      1
``UserError``           a bad user name, password or role      400     2
``LoginRefused``        wrong password or too many attempts    401/429 --
======================  =====================================  ======  =========
"""

from clinsearch.cohort.definition import DefinitionError
from clinsearch.evaluate.data import EvaluationError
from clinsearch.files import OutputError
from clinsearch.model.saved import ModelError
from clinsearch.model.train import TrainingError
from clinsearch.scores.model import ScoreInputError
from clinsearch.search.engine import SearchError
from clinsearch.search.query import QueryError
from clinsearch.security.users import UserError
from clinsearch.services.access import AccessDenied, NotFound
from clinsearch.services.sessions import LoginRefused
from clinsearch.warehouse.errors import WarehouseError

__all__ = ["AccessDenied", "DefinitionError", "EvaluationError", "LoginRefused", "ModelError", "NotFound", "OutputError", "QueryError", "ScoreInputError",
           "SearchError", "TrainingError", "UserError", "WarehouseError"]

# The HTTP status of each error the API and the web pages answer with.
HTTP_STATUS = {AccessDenied: 403, NotFound: 404, QueryError: 400, ScoreInputError: 400, SearchError: 503, WarehouseError: 503,
               DefinitionError: 400, EvaluationError: 400, UserError: 400, TrainingError: 400, ModelError: 400}
