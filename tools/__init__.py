"""Operator tools: `tools.deploy` uploads the built site, `tools.codeowners` writes CODEOWNERS."""
