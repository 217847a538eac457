"""The Docker-free local runner: template.yaml on moto's server, same handlers as in Lambda."""
