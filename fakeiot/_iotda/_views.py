"""The wire shapes of IoTDA records (the SDK's response models, spec §4-§8)."""

from __future__ import annotations

from typing import Any

from ._model import (
    Action,
    App,
    AsyncCommand,
    Device,
    Group,
    Message,
    Product,
    Project,
    Rule,
    compact_time,
    iso_time,
)

MASK = "********"


def _iso(at: float | None) -> str | None:
    return iso_time(at) if at is not None else None


def _compact(at: float | None) -> str | None:
    return compact_time(at) if at is not None else None


def tags(device: Device) -> list[dict[str, str]]:
    return [{"tag_key": k, "tag_value": v} for k, v in device.tags.items()]


def product_summary(project: Project, p: Product) -> dict[str, Any]:
    return {
        "app_id": p.app_id,
        "app_name": project.apps[p.app_id].app_name,
        "product_id": p.product_id,
        "name": p.name,
        "device_type": p.device_type,
        "protocol_type": p.protocol_type,
        "data_format": p.data_format,
        "manufacturer_name": p.manufacturer_name,
        "industry": p.industry,
        "description": p.description,
        "create_time": compact_time(p.create_time),
    }


def product(project: Project, p: Product) -> dict[str, Any]:
    body = product_summary(project, p)
    body["service_capabilities"] = p.service_capabilities
    return body


def device_simple(project: Project, d: Device) -> dict[str, Any]:
    """``QueryDeviceSimplify``: what list_devices shows (no auth_info, no times)."""
    return {
        "app_id": d.app_id,
        "app_name": project.apps[d.app_id].app_name,
        "device_id": d.device_id,
        "node_id": d.node_id,
        "gateway_id": d.gateway_id,
        "device_name": d.device_name,
        "node_type": d.node_type,
        "description": d.description,
        "fw_version": d.fw_version,
        "sw_version": d.sw_version,
        "device_sdk_version": None,
        "product_id": d.product_id,
        "product_name": project.products[d.product_id].name,
        "status": d.status.value,
        "tags": tags(d),
    }


def device(project: Project, d: Device, *, reveal: bool = False) -> dict[str, Any]:
    """``ShowDeviceResponse`` in the SDK model's key order; the secret is shown only by
    add_device (``reveal``)."""
    secret = d.secret if reveal else (MASK if d.secret else None)
    return {
        "app_id": d.app_id,
        "app_name": project.apps[d.app_id].app_name,
        "device_id": d.device_id,
        "node_id": d.node_id,
        "gateway_id": d.gateway_id,
        "device_name": d.device_name,
        "node_type": d.node_type,
        "description": d.description,
        "fw_version": d.fw_version,
        "sw_version": d.sw_version,
        "device_sdk_version": None,
        "auth_info": {
            "auth_type": d.auth_type,
            "secret": secret,
            "secondary_secret": MASK if d.secondary_secret else None,
            "fingerprint": d.fingerprint,
            "secondary_fingerprint": d.secondary_fingerprint,
            "secure_access": d.secure_access,
            "timeout": d.timeout,
        },
        "product_id": d.product_id,
        "product_name": project.products[d.product_id].name,
        "status": d.status.value,
        "create_time": compact_time(d.create_time),
        "connection_status_update_time": _iso(d.status_time),
        "active_time": _iso(d.active_time),
        "tags": tags(d),
        "modules": [],
        "extension_info": d.extension_info if d.extension_info is not None else {},
    }


def shadow(d: Device) -> dict[str, Any]:
    services = []
    for service_id, s in d.shadow.items():
        if not s.desired and not s.reported and s.desired_time is None and s.reported_time is None:
            continue
        services.append(
            {
                "service_id": service_id,
                "desired": {"properties": s.desired, "event_time": _compact(s.desired_time)},
                "reported": {"properties": s.reported, "event_time": _compact(s.reported_time)},
                "version": s.version,
            }
        )
    return {"device_id": d.device_id, "shadow": services}


def async_command(c: AsyncCommand, *, full: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "device_id": c.device_id,
        "command_id": c.command_id,
        "service_id": c.service_id,
        "command_name": c.command_name,
        "paras": c.paras,
        "expire_time": c.expire_time,
        "status": c.status.value,
        "created_time": compact_time(c.created),
        "send_strategy": c.send_strategy,
    }
    if full:
        body.update(
            result=c.result,
            sent_time=_compact(c.sent),
            delivered_time=_compact(c.delivered),
            response_time=_compact(c.responded),
        )
    return body


def message(m: Message) -> dict[str, Any]:
    return {
        "message_id": m.message_id,
        "name": m.name,
        "message": m.message,
        "encoding": m.encoding,
        "payload_format": m.payload_format,
        "topic": m.topic,
        "properties": m.properties,
        "status": m.status,
        "error_info": m.error_info,
        "created_time": compact_time(m.created),
        "finished_time": _compact(m.finished),
    }


def message_result(m: Message) -> dict[str, Any]:
    return {
        "message_id": m.message_id,
        "result": {
            "status": m.status,
            "created_time": compact_time(m.created),
            "finished_time": _compact(m.finished),
        },
    }


def app(a: App) -> dict[str, Any]:
    return {
        "app_id": a.app_id,
        "app_name": a.app_name,
        "create_time": compact_time(a.create_time),
        "default_app": a.default,
    }


def group(g: Group) -> dict[str, Any]:
    return {
        "group_id": g.group_id,
        "name": g.name,
        "description": g.description,
        "super_group_id": g.super_group_id,
        "group_type": g.group_type,
        "dynamic_group_rule": g.dynamic_group_rule,
    }


def rule(r: Rule) -> dict[str, Any]:
    return {
        "rule_id": r.rule_id,
        "rule_name": r.rule_name,
        "description": r.description,
        "subject": {"resource": r.resource, "event": r.event},
        "app_type": r.app_type,
        "app_id": r.app_id,
        "select": r.select,
        "where": r.where,
        "active": r.active,
    }


def action(a: Action) -> dict[str, Any]:
    return {
        "action_id": a.action_id,
        "rule_id": a.rule_id,
        "channel": a.channel,
        "channel_detail": a.channel_detail,
    }


def search_row(project: Project, d: Device) -> dict[str, Any]:
    """``SearchDevice``; also the record search conditions are evaluated against."""
    return {
        "app_id": d.app_id,
        "app_name": project.apps[d.app_id].app_name,
        "device_id": d.device_id,
        "node_id": d.node_id,
        "gateway_id": d.gateway_id,
        "device_name": d.device_name,
        "node_type": d.node_type,
        "fw_version": d.fw_version,
        "sw_version": d.sw_version,
        "device_sdk_version": None,
        "product_id": d.product_id,
        "product_name": project.products[d.product_id].name,
        "groups": list(d.groups),
        "status": d.status.value,
        "tags": tags(d),
        "modules": [],
        "marker": d.marker,
    }
