"""amlguard: audit Azure Machine Learning workspaces against a secure-networking blueprint."""

__version__ = "0.1.0"
