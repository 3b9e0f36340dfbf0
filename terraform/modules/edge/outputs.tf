output "alb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension LoadBalancer)."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "target_group_arn" {
  description = "ARN of the web target group the web service registers its tasks in (available once the HTTPS listener forwards to it)."
  value       = aws_lb_target_group.web.arn
  depends_on  = [aws_lb_listener.https]
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the web target group (CloudWatch dimension TargetGroup, request-count scaling)."
  value       = aws_lb_target_group.web.arn_suffix
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener (the web service waits for it)."
  value       = aws_lb_listener.https.arn
}

output "certificate_arn" {
  description = "ARN of the validated certificate for the domain and *.domain."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL on the load balancer."
  value       = aws_wafv2_web_acl.this.arn
}
