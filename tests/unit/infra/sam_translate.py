"""Print template.yaml as CloudFormation, translated by SAM's own transform (samtranslator).

Runs with the .tools interpreter, where aws-sam-cli brings the translator it uses itself (the
translator pins a pydantic the application's venv cannot have):
    .tools/bin/python tests/unit/infra/sam_translate.py template.yaml > template.json
Local CodeUri/ContentUri are replaced by an S3 URI, as `sam validate` does.
"""

import json
import sys

import boto3
from samcli.yamlhelper import yaml_parse
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

CODE_PROPERTY = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


def main(path: str) -> None:
    with open(path) as source:
        template = yaml_parse(source.read())
    for resource in template["Resources"].values():
        if resource["Type"] in CODE_PROPERTY:
            resource["Properties"][CODE_PROPERTY[resource["Type"]]] = "s3://bucket/code.zip"
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="none", aws_secret_access_key="none")
    translator = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session)
    json.dump(translator.translate(template, parameter_values={}), sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
