from billing_shared.db.migrate import run_env
from invoicing.store.tables import metadata

run_env(metadata)
