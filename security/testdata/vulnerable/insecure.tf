# Planted: a world-readable, unencrypted bucket and an SSH port open to the internet (tfsec).
resource "aws_s3_bucket" "public" {
  bucket = "vigil-fixture-public"
}

resource "aws_s3_bucket_acl" "public" {
  bucket = aws_s3_bucket.public.id
  acl    = "public-read"
}

resource "aws_security_group" "ssh" {
  name        = "fixture-ssh"
  description = "Planted: SSH from anywhere"
  ingress {
    description = "SSH from anywhere"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
