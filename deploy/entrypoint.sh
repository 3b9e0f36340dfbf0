#!/bin/sh
# The image's entrypoint: one image, three processes (docs/operations.md, docs/runbook.md).
#
#   web      migrations (one replica at a time, the others wait), then gunicorn
#   worker   a Celery worker on every queue, or on WORKER_QUEUES (e.g. "alerts" for a worker of
#            its own, so alerts never wait behind PDF exports)
#   beat     Celery beat: exactly one in the whole deployment
#   migrate  the migrations alone, as a one-off job
#   manage   any management command: `manage create_school --trust ...`
# Anything else is run as given.
set -eu

# Migrations run on the connection of the role that owns the schemas (DATABASE_OWNER_URL, or
# DATABASE_URL when unset), then grant the application's role (DATABASE_URL's) its privileges on
# what they made; every process, web included, connects as the application's role.
migrate() {
  python manage.py migrate_with_lock --lock-timeout "${MIGRATE_LOCK_TIMEOUT:-600}"
}

command="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$command" in
  web)
    if [ "${MIGRATE_ON_START:-true}" = "true" ]; then
      migrate
    fi
    exec gunicorn --config deploy/gunicorn.conf.py trustplatform.wsgi "$@"
    ;;
  worker)
    # The queues of settings.WORKER_QUEUES (CELERY_TASK_ROUTES sends each task to one of them).
    exec celery -A trustplatform worker \
      --queues "${WORKER_QUEUES:-alerts,exports,statistics,default}" \
      --concurrency "${WORKER_CONCURRENCY:-2}" \
      --loglevel "${LOG_LEVEL:-INFO}" \
      --without-gossip --without-mingle "$@"
    ;;
  beat)
    # The schedule's state is disposable: every periodic task catches up on its next run.
    exec celery -A trustplatform beat \
      --schedule "${BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" \
      --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  migrate)
    migrate
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$command" "$@"
    ;;
esac
