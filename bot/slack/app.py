"""Bolt app: registers listeners that ack, call a plain handler, and post its Reply. No billing logic here."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler, RetryState
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse

from bot.config import Settings
from bot.slack import handlers
from bot.slack.render import (
    ACTION_CHOOSE,
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_SHARE,
    Message,
)

log = logging.getLogger("billing_bot.slack")


class ServerErrorRetryHandler(RetryHandler):
    """Retry a Web API call that got a 5xx, with the handler's backoff."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code >= 500


def build_client(settings: Settings) -> WebClient:
    client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=10)
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    return client


def _post(
    client: WebClient, channel: str, message: Message, thread_ts: str | None = None, ephemeral_user: str | None = None
) -> None:
    try:
        if ephemeral_user:
            client.chat_postEphemeral(
                channel=channel, user=ephemeral_user, text=message.text, blocks=message.blocks, thread_ts=thread_ts
            )
        else:
            client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks, thread_ts=thread_ts)
    except SlackApiError as exc:
        log.error("chat.postMessage failed in %s: %s", channel, exc.response.get("error"))
    except Exception as exc:  # network down, timeouts: log and keep serving
        log.error("chat.postMessage failed in %s: %s", channel, type(exc).__name__)


def _respond(respond: Respond, message: Message, **kwargs: Any) -> None:
    try:
        respond(text=message.text, blocks=message.blocks, **kwargs)
    except Exception as exc:
        log.error("response_url post failed: %s", type(exc).__name__)


def create_app(
    settings: Settings, services: handlers.Services, *, client: WebClient | None = None, **app_kwargs: Any
) -> App:
    """The Slack app. `app_kwargs` pass through to App (tests use authorize= and process_before_response=)."""
    client = client or build_client(settings)
    app = App(
        client=client,
        signing_secret=settings.signing_secret or None,
        raise_error_for_unhandled_request=False,
        **app_kwargs,
    )

    @app.middleware
    def reject_malformed_payloads(body: Any, next: Any) -> Any:  # noqa: A002 - Bolt's argument name
        problem = handlers.payload_problem(body)
        if problem:
            log.warning("rejected a malformed Slack payload: %s", problem)
            return BoltResponse(status=400, body=json.dumps({"error": problem}))
        return next()

    @app.middleware
    def answer_each_event_once(body: dict[str, Any], next: Any) -> Any:  # noqa: A002 - Bolt's argument name
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and not services.dedupe.first_time(f"evt:{event_id}"):
            log.info("duplicate delivery of %s ignored", str(event_id)[:40])
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return next()

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: WebClient) -> None:
        reply = handlers.handle_mention(event, services)
        if reply is not None:
            _post(client, str(event.get("channel")), reply.message, reply.thread_ts, reply.ephemeral_user)

    @app.event("message")
    def on_message(event: dict[str, Any], client: WebClient) -> None:
        reply = handlers.handle_direct_message(event, services)
        if reply is not None:
            _post(client, str(event.get("channel")), reply.message, reply.thread_ts)

    @app.command("/billing")
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        if handlers.is_slow_admin_command(command, services):
            ack(text="Working on it…", response_type="ephemeral")  # reload/report can take longer than 3 s
            message = handlers.handle_command(command, services)
            _respond(respond, message, response_type="ephemeral")
            return
        message = handlers.handle_command(command, services)
        ack(text=message.text, blocks=message.blocks, response_type="ephemeral")

    @app.action(re.compile(f"^{ACTION_CHOOSE}_[0-9]+$"))
    def on_choice(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        message = handlers.handle_choice(action, services)
        if message is not None:
            _respond(respond, message, replace_original=True)

    @app.action(ACTION_SHARE)
    def on_share(ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond) -> None:
        ack()
        user = str((body.get("user") or {}).get("id", ""))
        message = handlers.handle_share(action, user, services)
        if message is not None:
            _respond(respond, message, response_type="in_channel", delete_original=True)

    @app.action(re.compile(f"^({ACTION_FEEDBACK_UP}|{ACTION_FEEDBACK_DOWN})$"))
    def on_feedback(
        ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        user = str((body.get("user") or {}).get("id", ""))
        message = handlers.handle_feedback(action, user, services)
        if action.get("action_id") == ACTION_FEEDBACK_DOWN and body.get("trigger_id"):
            try:
                client.views_open(trigger_id=str(body["trigger_id"]), view=handlers.feedback_modal(action))
            except Exception as exc:
                log.error("views.open failed: %s", type(exc).__name__)
                if services.store is not None:
                    data = handlers._value(action)
                    services.store.record_feedback(str(data.get("e", "")) or None, str(data.get("s", "")), "down")
        _respond(respond, message, response_type="ephemeral", replace_original=False)

    @app.view(handlers.FEEDBACK_VIEW)
    def on_feedback_reason(ack: Ack, view: dict[str, Any]) -> None:
        ack()
        handlers.handle_feedback_reason(view, services)

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient) -> None:
        user = str(event.get("user", ""))
        if event.get("tab", "home") != "home" or not user:
            return
        try:
            client.views_publish(user_id=user, view=handlers.home_view(services, admin=user in settings.admins))
        except Exception as exc:
            log.error("views.publish failed: %s", type(exc).__name__)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        kind = body.get("type") if isinstance(body, dict) else None
        log.error("unhandled error in a %s request: %s", kind, type(error).__name__)

    return app
