"""IAM, STS and SQS calls for the IAM-enforced tests, with boto3 from the emulator's virtualenv
(the project has no IAM or SQS client in its dependencies): the AWS SDK for Python against the
same moto server, not an imitation of IAM. Reads one JSON request on stdin, prints one JSON answer.

{"endpoint", "credentials": {...} | null, "op": "admin" | "role" | "queue" | "send" | "receive" | "consume" | "assume", ...}
"""
import json
import sys

import boto3
from botocore.exceptions import ClientError


def client(req, service):
    creds = req.get("credentials") or {}
    return boto3.client(
        service,
        endpoint_url=req["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=creds.get("accessKeyId", "none"),
        aws_secret_access_key=creds.get("secretAccessKey", "none"),
        aws_session_token=creds.get("sessionToken"),
    )


def main():
    req = json.load(sys.stdin)
    op = req["op"]
    try:
        if op == "admin":
            # The emulator's no-auth allowance covers exactly these three calls.
            iam = client(req, "iam")
            iam.create_user(UserName="test-admin")
            iam.put_user_policy(
                UserName="test-admin",
                PolicyName="admin",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
            )
            key = iam.create_access_key(UserName="test-admin")["AccessKey"]
            out = {"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}
        elif op == "role":
            iam = client(req, "iam")
            try:
                iam.create_role(RoleName=req["name"], AssumeRolePolicyDocument=json.dumps(req["trust"]))
            except ClientError as error:
                if error.response["Error"]["Code"] != "EntityAlreadyExists":
                    raise
            iam.put_role_policy(RoleName=req["name"], PolicyName="policy", PolicyDocument=json.dumps(req["policy"]))
            out = {"arn": iam.get_role(RoleName=req["name"])["Role"]["Arn"]}
        elif op == "assume":
            c = client(req, "sts").assume_role(RoleArn=req["roleArn"], RoleSessionName="test")["Credentials"]
            out = {"accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"], "sessionToken": c["SessionToken"]}
        elif op == "queue":
            sqs = client(req, "sqs")
            url = sqs.create_queue(QueueName=req["name"])["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            out = {"url": url, "arn": arn}
        elif op == "send":
            sqs = client(req, "sqs")
            out = {"messageId": sqs.send_message(QueueUrl=req["url"], MessageBody=req["body"])["MessageId"]}
        elif op == "receive":
            sqs = client(req, "sqs")
            messages = sqs.receive_message(QueueUrl=req["url"], MaxNumberOfMessages=10).get("Messages", [])
            out = {"bodies": [m["Body"] for m in messages]}
        elif op == "consume":
            # What a Lambda event source mapping does on a queue with the function's role.
            sqs = client(req, "sqs")
            sqs.get_queue_attributes(QueueUrl=req["url"], AttributeNames=["QueueArn"])
            messages = sqs.receive_message(QueueUrl=req["url"], MaxNumberOfMessages=1).get("Messages", [])
            for m in messages:
                sqs.delete_message(QueueUrl=req["url"], ReceiptHandle=m["ReceiptHandle"])
            out = {"bodies": [m["Body"] for m in messages]}
        else:
            raise ValueError(f"unknown op {op}")
        print(json.dumps({"ok": out}))
    except ClientError as error:
        print(json.dumps({"error": error.response["Error"]["Code"], "message": error.response["Error"].get("Message", "")}))


main()
