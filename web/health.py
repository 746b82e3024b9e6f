"""/health: what an operator or a load balancer needs to know at a glance."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    report = current_app.extensions["callcenter"].health()
    status = 200 if report["ok"] else 503
    if request.accept_mimetypes.best == "text/html":
        return render_template("health.html", report=report), status
    return jsonify(report), status
