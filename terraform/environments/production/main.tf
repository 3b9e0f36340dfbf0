# Production in one region: the modules of ../../modules composed. Order of the first apply and
# of each deploy: README.md.

locals {
  tags = { Service = "safeguarding" }
}

module "observability" {
  source = "../../modules/observability"

  name               = var.name
  log_retention_days = var.log_retention_days
  alarm_emails       = var.alarm_emails

  alb_arn_suffix          = module.edge.alb_arn_suffix
  target_group_arn_suffix = module.edge.target_group_arn_suffix
  ecs_cluster_name        = module.compute.cluster_name
  ecs_services = {
    (module.compute.service_names.web)    = 2
    (module.compute.service_names.worker) = 1
    (module.compute.service_names.beat)   = 1
    (module.compute.service_names.clamd)  = 1
  }
  beat_service_name     = module.compute.service_names.beat
  db_primary_identifier = module.database.primary_identifier
  db_replica_identifier = module.database.replica_identifier
  cache_cluster_ids     = module.cache.member_clusters

  tags = local.tags
}

module "network" {
  source = "../../modules/network"

  name                    = var.name
  cidr_block              = var.vpc_cidr_block
  availability_zones      = var.availability_zones
  flow_log_retention_days = var.log_retention_days
  log_kms_key_arn         = module.observability.log_kms_key_arn
  tags                    = local.tags
}

module "storage" {
  source = "../../modules/storage"

  name                       = var.bucket_prefix
  noncurrent_version_days    = var.backup_retention_days
  chain_heads_retention_days = var.chain_heads_retention_days
  log_retention_days         = var.log_retention_days
  tags                       = local.tags
}

module "database" {
  source = "../../modules/database"

  name                  = var.name
  private_subnet_ids    = module.network.private_subnet_ids
  security_group_id     = module.network.database_security_group_id
  backup_retention_days = var.backup_retention_days
  log_retention_days    = var.log_retention_days
  log_kms_key_arn       = module.observability.log_kms_key_arn
  tags                  = local.tags
}

module "cache" {
  source = "../../modules/cache"

  name               = var.name
  private_subnet_ids = module.network.private_subnet_ids
  security_group_id  = module.network.cache_security_group_id
  log_retention_days = var.log_retention_days
  log_kms_key_arn    = module.observability.log_kms_key_arn
  tags               = local.tags
}

module "edge" {
  source = "../../modules/edge"

  name                   = var.name
  domain_name            = var.domain_name
  route53_zone_id        = var.route53_zone_id
  vpc_id                 = module.network.vpc_id
  public_subnet_ids      = module.network.public_subnet_ids
  security_group_id      = module.network.alb_security_group_id
  access_logs_bucket     = module.storage.logs_bucket_name
  waf_log_retention_days = var.log_retention_days
  log_kms_key_arn        = module.observability.log_kms_key_arn
  tags                   = local.tags
}

module "compute" {
  source = "../../modules/compute"

  name                    = var.name
  region                  = var.region
  vpc_id                  = module.network.vpc_id
  private_subnet_ids      = module.network.private_subnet_ids
  app_security_group_id   = module.network.app_security_group_id
  clamd_security_group_id = module.network.clamd_security_group_id

  backups_security_group_id = module.network.backups_security_group_id
  backup_keep_days          = var.backup_retention_days

  app_image          = var.app_image
  clamd_image        = var.clamd_image
  domain_name        = var.domain_name
  default_from_email = var.default_from_email

  target_group_arn        = module.edge.target_group_arn
  alb_request_count_label = "${module.edge.alb_arn_suffix}/${module.edge.target_group_arn_suffix}"

  log_group_names = module.observability.log_group_names

  database_url_secret_arn       = module.database.app_secret_arn
  database_owner_url_secret_arn = module.database.owner_secret_arn
  redis_url_secret_arn          = module.cache.redis_url_secret_arn
  secret_kms_key_arns           = [module.database.kms_key_arn, module.cache.kms_key_arn]

  documents_bucket_name      = module.storage.documents_bucket_name
  documents_bucket_arn       = module.storage.documents_bucket_arn
  chain_heads_bucket_name    = module.storage.chain_heads_bucket_name
  chain_heads_bucket_arn     = module.storage.chain_heads_bucket_arn
  chain_heads_retention_days = module.storage.chain_heads_retention_days
  storage_kms_key_arn        = module.storage.kms_key_arn

  tags = local.tags
}
