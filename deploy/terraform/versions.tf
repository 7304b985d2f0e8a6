terraform {
  # 1.9+: variable validations may refer to other variables (region vs allowed_regions).
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }

  # State holds resource ids and ARNs (never a secret value: secrets are written out of band).
  # Keep it in an encrypted, versioned, private bucket with locking, e.g.:
  #
  # backend "s3" {
  #   bucket       = "example-terraform-state"
  #   key          = "vigil/prod.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}
