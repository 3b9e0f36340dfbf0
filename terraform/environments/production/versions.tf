terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.70.0, < 6.0.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6.0, < 4.0.0"
    }
  }

  # Remote state: an S3 bucket (versioned, encrypted) with a DynamoDB table for the lock. A partial
  # configuration: the values are in backend.hcl (copy backend.hcl.example), given at init:
  #   terraform init -backend-config=backend.hcl
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "safeguarding"
      Environment = "production"
      ManagedBy   = "terraform"
    }
  }
}
