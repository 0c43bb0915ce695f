"""Stand-ins for real parts the tests start themselves (Kubernetes API server, …)."""
