# The security groups between tiers: the internet reaches the load balancer only; the load balancer
# reaches the web containers; the containers reach PostgreSQL, Redis and clamd; nothing else.

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:attached in another module (edge, compute, database, cache) through this module's outputs
  name        = "${var.name}-alb"
  description = "The public load balancer: HTTPS and HTTP (redirected) from anywhere."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the internet"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:port 80 answers only a 301 to HTTPS (edge module), so typed addresses still work
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet, answered with a redirect to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the web containers"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_security_group" "app" {
  #checkov:skip=CKV2_AWS_5:attached in another module (edge, compute, database, cache) through this module's outputs
  name        = "${var.name}-app"
  description = "Web, worker, beat and migration containers."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-app" })
}

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = aws_security_group.app.id
  description                  = "gunicorn, from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.alb.id
}

# Outbound HTTPS: S3, Secrets Manager, ECR, CloudWatch Logs, Sentry. SMTP submission: the relay.
resource "aws_vpc_security_group_egress_rule" "app_https" {
  security_group_id = aws_security_group.app.id
  description       = "HTTPS to AWS APIs and error reporting"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "app_smtp" {
  security_group_id = aws_security_group.app.id
  description       = "SMTP submission (STARTTLS) to the mail relay"
  ip_protocol       = "tcp"
  from_port         = 587
  to_port           = 587
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "app_to_database" {
  security_group_id            = aws_security_group.app.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.database.id
}

resource "aws_vpc_security_group_egress_rule" "app_to_cache" {
  security_group_id            = aws_security_group.app.id
  description                  = "Redis (TLS)"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.cache.id
}

resource "aws_vpc_security_group_egress_rule" "app_to_clamd" {
  security_group_id            = aws_security_group.app.id
  description                  = "clamd"
  ip_protocol                  = "tcp"
  from_port                    = 3310
  to_port                      = 3310
  referenced_security_group_id = aws_security_group.clamd.id
}

resource "aws_security_group" "clamd" {
  #checkov:skip=CKV2_AWS_5:attached in another module (edge, compute, database, cache) through this module's outputs
  name        = "${var.name}-clamd"
  description = "The clamd virus scanner: scans from the application containers, signature updates out."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-clamd" })
}

resource "aws_vpc_security_group_ingress_rule" "clamd_from_app" {
  security_group_id            = aws_security_group.clamd.id
  description                  = "clamd, from the application containers"
  ip_protocol                  = "tcp"
  from_port                    = 3310
  to_port                      = 3310
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_vpc_security_group_egress_rule" "clamd_https" {
  security_group_id = aws_security_group.clamd.id
  description       = "HTTPS: freshclam's signature updates, ECR, CloudWatch Logs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "database" {
  #checkov:skip=CKV2_AWS_5:attached in another module (edge, compute, database, cache) through this module's outputs
  name        = "${var.name}-database"
  description = "PostgreSQL: from the application containers only."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-database" })
}

resource "aws_vpc_security_group_ingress_rule" "database_from_app" {
  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL, from the application containers"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_security_group" "cache" {
  #checkov:skip=CKV2_AWS_5:attached in another module (edge, compute, database, cache) through this module's outputs
  name        = "${var.name}-cache"
  description = "Redis: from the application containers only."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-cache" })
}

resource "aws_vpc_security_group_ingress_rule" "cache_from_app" {
  security_group_id            = aws_security_group.cache.id
  description                  = "Redis (TLS), from the application containers"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_security_group" "backups" {
  #checkov:skip=CKV2_AWS_5:attached in another module (edge, compute, database, cache) through this module's outputs
  name        = "${var.name}-backups"
  description = "The backups volume (EFS): NFS from the application containers only."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-backups" })
}

resource "aws_vpc_security_group_ingress_rule" "backups_from_app" {
  security_group_id            = aws_security_group.backups.id
  description                  = "NFS (TLS), from the application containers"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_vpc_security_group_egress_rule" "app_to_backups" {
  security_group_id            = aws_security_group.app.id
  description                  = "NFS (TLS) to the backups volume"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.backups.id
}
