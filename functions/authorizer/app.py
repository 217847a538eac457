"""API Gateway TOKEN authorizer: verifies the HS256 JWT and hands its claims to the routes.

The policy allows every route of the API so API Gateway can cache it per token; what a role
may do is decided by the routes (403 for a viewer's write), in one place. API Gateway keeps a
cached policy for ReauthorizeEvery seconds whatever the token's `exp`, so the context carries
`exp` and the routes refuse a request whose token has expired (publisher.identity): a cached
decision never outlives the token.
"""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    APIGatewayAuthorizerTokenEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from publisher.bootstrap import jwt_secret
from publisher.config import get_settings
from publisher.errors import Unauthorized
from publisher.tokens import verify_token

logger = Logger()


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerTokenEvent)
def lambda_handler(event: APIGatewayAuthorizerTokenEvent, context: LambdaContext) -> dict:
    scheme, _, token = (event.authorization_token or "").partition(" ")
    try:
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("expected 'Authorization: Bearer <token>'")
        settings = get_settings()
        claims = verify_token(
            jwt_secret(),
            token.strip(),
            max_lifetime=settings.max_token_lifetime,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    except Unauthorized as denied:
        logger.info("token refused", extra={"reason": str(denied)})
        raise Exception("Unauthorized") from None
    arn = event.parsed_arn
    policy = APIGatewayAuthorizerResponse(
        principal_id=claims["sub"],
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context={
            "sub": claims["sub"],
            "account_id": claims["account_id"],
            "role": claims["role"],
            "exp": int(claims["exp"]),
        },
    )
    policy.allow_all_routes()
    return policy.asdict()
