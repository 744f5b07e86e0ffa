"""Checking ARM templates (and Bicep, through the Bicep CLI) before they are deployed.

:class:`amlguard.iac.source.TemplateSource` expands templates into the rows Resource Graph
would hold after the deployment, so the same rule pack judges them.
"""
