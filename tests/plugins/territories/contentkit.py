"""Content shared by the loader and validation tests."""

# The smallest valid territory.yaml. Line numbers in the tests refer to this text:
# 1 name … 8 notify; keys appended to it start on line 9.
MINIMAL = """\
name: Testville
kind: commune
tagline: Une ville pour tester
brand:
  primary: "#1f4e79"
contact:
  email: contact@example.org
notify: [accueil@example.org]
"""
