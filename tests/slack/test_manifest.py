"""deploy/manifest.yaml and the listeners the app registers agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt import App, Assistant, BoltRequest, BoltResponse
from slack_bolt.listener import Listener

from bot.compose import Core
from bot.slack import (
    assistant,
    blocks,
    conversations,
    home,
    shortcuts,
    slash_commands,
)
from bot.slack.app import build_app

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "manifest.yaml"
# The scope each subscription or feature needs; nothing else may be requested.
SCOPE_FOR = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
    "commands": "commands",
    "replies": "chat:write",
    # Opening a person's DM (conversations.open) to look for a post sent to
    # their user id before sending it again.
    "dms_by_user_id": "im:write",
}
# Who is a curator: a channel's members (public or private), a user group's.
CURATOR_SCOPES = {"channels:read", "groups:read", "usergroups:read"}
ACTION_IDS = (
    f"{blocks.SHOW_ENTRY}:skill-cloud",
    blocks.VOTE_UP,
    blocks.VOTE_DOWN,
    blocks.SHARE,
    blocks.ASK_EXPERT,
    blocks.ASK_EXPERT_NAMED,
    blocks.EXPERT_ANSWERED,
    blocks.TEACH_EXPERT,
    f"{blocks.TEACH_GAP}:0",
    blocks.STOP_HERE,
    blocks.HIDE_ANSWER,
    blocks.WHY_OPEN,
    blocks.FEEDBACK_BUTTONS,
    blocks.MY_TIP_ON,
    blocks.MY_TIP_OFF,
    blocks.MY_TIP_TIME,
    shortcuts.SHARE_IN_THREAD,
)
# Modals the app opens, submitted through interactivity.
VIEW_IDS = (blocks.WHY_VIEW, blocks.TEACH_VIEW)
OPTION_IDS = (blocks.TEACH_ENTRY,)  # external selects, through the options URL
# A thread opened from the side panel (its messages are the panel's).
PANEL_CHANNEL, PANEL_THREAD = "D0PANEL1", "1700000000.000100"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def app(slack_core: Core) -> App:
    slack_core.store.create_schema()
    slack_core.store.start_assistant_thread(PANEL_CHANNEL, PANEL_THREAD, "U1", {})
    return build_app(slack_core)


def _event_bodies(subscription: str) -> list[dict[str, Any]]:
    """What the subscription brings; a DM also in a side-panel thread."""
    event_type, _, channel_type = subscription.partition(".")
    event: dict[str, Any] = {"type": event_type, "user": "U1", "ts": "1.1", "text": "x"}
    if event_type.startswith("assistant_thread"):
        event["assistant_thread"] = {
            "user_id": "U1",
            "context": {"channel_id": "C1", "team_id": "T1"},
            "channel_id": PANEL_CHANNEL,
            "thread_ts": PANEL_THREAD,
        }
    if channel_type:
        kinds = {"im": "im", "channels": "channel", "groups": "group"}
        event["channel_type"] = kinds[channel_type]
        event["channel"] = "D0DM0001" if channel_type == "im" else "C0CHAN01"
    bodies = [event]
    if channel_type == "im":
        bodies.append(event | {"channel": PANEL_CHANNEL, "thread_ts": PANEL_THREAD})
    return [{"type": "event_callback", "team_id": "T1", "event": e} for e in bodies]


def _command_body(name: str) -> dict[str, Any]:
    return {"command": name, "text": "", "team_id": "T1", "user_id": "U1"}


def _action_body(action_id: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "actions": [{"action_id": action_id, "type": "button", "value": "v"}],
    }


def _shortcut_body(callback_id: str) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "message": {"type": "message", "text": "x", "ts": "1.1"},
    }


def _view_body(callback_id: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "view": {"callback_id": callback_id, "type": "modal", "state": {"values": {}}},
    }


def _listeners(app: App) -> list[Listener]:
    """The app's listeners and those of its side panel (no public accessor
    in Bolt for either)."""
    found = list(app._listeners)
    for middleware in app._middleware_list:
        if isinstance(middleware, Assistant):
            for group in (
                middleware._thread_started_listeners,
                middleware._thread_context_changed_listeners,
                middleware._user_message_listeners,
                middleware._bot_message_listeners,
            ):
                found += group or []
    return found


def _options_body(action_id: str) -> dict[str, Any]:
    return {
        "type": "block_suggestion",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "action_id": action_id,
        "block_id": "entry",
        "value": "cloud",
    }


def _matching(app: App, body: dict[str, Any]) -> list[object]:
    request = BoltRequest(body=body, mode="socket_mode")
    response = BoltResponse(status=200)
    return [
        listener
        for listener in _listeners(app)
        if listener.matches(req=request, resp=response)
    ]


def _bodies(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    names = [c["command"] for c in manifest["features"]["slash_commands"]]
    actions = ACTION_IDS if manifest["settings"]["interactivity"]["is_enabled"] else ()
    shortcuts = [s["callback_id"] for s in manifest["features"].get("shortcuts", [])]
    menus = "message_menu_options_url" in manifest["settings"]["interactivity"]
    return (
        [body for e in events for body in _event_bodies(e)]
        + [_command_body(n) for n in names]
        + [_action_body(a) for a in actions]
        + [_shortcut_body(c) for c in shortcuts]
        + ([_view_body(v) for v in VIEW_IDS] if actions else [])
        + ([_options_body(o) for o in OPTION_IDS] if menus else [])
    )


def test_every_manifest_subscription_has_a_listener(
    app: App, manifest: dict[str, Any]
) -> None:
    """Each event, command and button the manifest lets Slack send is handled."""
    unhandled = [body for body in _bodies(manifest) if not _matching(app, body)]
    assert [] == unhandled


def test_every_listener_is_reachable_through_the_manifest(
    app: App, manifest: dict[str, Any]
) -> None:
    """No listener waits for something the manifest never subscribes to."""
    reachable = {id(lst) for body in _bodies(manifest) for lst in _matching(app, body)}
    assert [] == [lst for lst in _listeners(app) if id(lst) not in reachable]


def test_declared_commands_and_events_are_the_manifest_s(
    manifest: dict[str, Any],
) -> None:
    """The modules' COMMANDS and EVENTS lists are exactly the manifest's."""
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    names = {c["command"] for c in manifest["features"]["slash_commands"]}
    declared_events = set(conversations.EVENTS) | set(home.EVENTS)
    assert declared_events | set(assistant.EVENTS) == events
    assert set(slash_commands.COMMANDS) == names
    declared = {s["callback_id"] for s in manifest["features"]["shortcuts"]}
    assert set(shortcuts.SHORTCUTS) == declared


def test_scopes_are_exactly_those_the_features_need(manifest: dict[str, Any]) -> None:
    """Minimal scopes: one per subscription or feature, nothing more."""
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    needed = {SCOPE_FOR[e] for e in events if e in SCOPE_FOR}
    needed |= {SCOPE_FOR[f] for f in ("commands", "replies", "dms_by_user_id")}
    needed |= CURATOR_SCOPES
    assert needed == set(manifest["oauth_config"]["scopes"]["bot"])


def test_manifest_runs_socket_mode_with_home_and_messages_tab(
    manifest: dict[str, Any],
) -> None:
    """Socket Mode on, App Home with its Messages tab, interactivity on."""
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    home_features = manifest["features"]["app_home"]
    assert home_features["home_tab_enabled"] and home_features["messages_tab_enabled"]


def test_side_panel_is_described_with_prompts_the_bot_answers(
    manifest: dict[str, Any], slack_core: Core
) -> None:
    """The AI-app side panel is on, described, and each of its (at most
    four) static prompts is answered with an entry, not "did you mean"."""
    view = manifest["features"]["assistant_view"]
    assert 0 < len(view["assistant_description"]) <= 300
    prompts = view["suggested_prompts"]
    assert 1 <= len(prompts) <= 4
    unanswered = [
        p["message"]
        for p in prompts
        if slack_core.answerer.retrieve(p["message"]).result.best is None
    ]
    assert [] == unanswered
    assert all(p["title"] and len(p["title"]) <= 75 for p in prompts)
