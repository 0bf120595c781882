"""Tests of llm_config_client; run from the repository: python3 -m unittest discover -s clients/python/tests -t clients/python"""
