#!/bin/sh
# Collects the static files with the production storage (hashed names, a manifest, gzip and
# brotli copies: whitenoise's CompressedManifestStaticFilesStorage) into STATIC_ROOT, at build
# time (deploy/Dockerfile).
#
# The production settings refuse to load without their services named (trustplatform/settings.py,
# PRODUCTION_REQUIREMENTS). collectstatic connects to none of them, so placeholders stand in for
# this one command; they are never in the image's environment.
set -eu
: "${STATIC_ROOT:?STATIC_ROOT names the folder to collect into}"
exec env \
  ENVIRONMENT=production \
  SECRET_KEY=collectstatic-placeholder-never-used-to-sign-anything \
  DATABASE_URL=postgres://collectstatic@127.0.0.1:9/none \
  REDIS_URL=redis://127.0.0.1:9/0 \
  S3_BUCKET=collectstatic-placeholder \
  CLAMD_HOST=127.0.0.1 \
  EMAIL_URL=smtp://127.0.0.1:9 \
  BASE_DOMAIN=collectstatic.invalid \
  TOTP_ENCRYPTION_KEY=collectstatic-placeholder \
  SENTRY_DSN= \
  python manage.py collectstatic --noinput --verbosity 1
