output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "The VPC's IPv4 range."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (load balancer, NAT gateways), one per zone."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (containers, database, cache), one per zone."
  value       = aws_subnet.private[*].id
}

output "nat_public_ips" {
  description = "Public addresses the containers' outbound traffic leaves from (for an SMTP relay's allow-list)."
  value       = aws_eip.nat[*].public_ip
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group holding the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "alb_security_group_id" {
  description = "Security group of the public load balancer."
  value       = aws_security_group.alb.id
}

output "app_security_group_id" {
  description = "Security group of the web, worker, beat and migration containers."
  value       = aws_security_group.app.id
}

output "clamd_security_group_id" {
  description = "Security group of the clamd containers."
  value       = aws_security_group.clamd.id
}

output "database_security_group_id" {
  description = "Security group of PostgreSQL."
  value       = aws_security_group.database.id
}

output "cache_security_group_id" {
  description = "Security group of Redis."
  value       = aws_security_group.cache.id
}

output "backups_security_group_id" {
  description = "Security group of the backups volume's mount targets (EFS)."
  value       = aws_security_group.backups.id
}
