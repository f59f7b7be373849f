import pytest

from fieldaudit import create_app
from fieldaudit.config import ConfigError, check, from_environment


def test_environment_overrides_defaults_with_types(default_config):
    env = {
        "FIELDAUDIT_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "FIELDAUDIT_SECRET_KEY": "s3cret",
        "FIELDAUDIT_MEDIA_DIR": "/srv/media",
        "FIELDAUDIT_BOUNDARY_TOLERANCE_M": "75",
        "OTHER": "ignored",
    }
    config = from_environment(default_config, env)
    assert config["DATABASE_URL"] == "postgresql+psycopg://u@h/db"
    assert config["SECRET_KEY"] == "s3cret"
    assert config["MEDIA_DIR"] == "/srv/media"
    assert config["BOUNDARY_TOLERANCE_M"] == 75.0
    assert "OTHER" not in config


def test_default_database_is_spatialite_in_instance_folder(default_config):
    assert default_config["DATABASE_URL"].startswith("sqlite:///")
    assert default_config["DATABASE_URL"].endswith("instance/fieldaudit.sqlite")


def test_production_refuses_missing_secret(default_config):
    with pytest.raises(ConfigError, match="FIELDAUDIT_SECRET_KEY"):
        check({**default_config, "ENV_NAME": "production"})
    check({**default_config, "ENV_NAME": "production", "SECRET_KEY": "x" * 40})


def test_create_app_refuses_production_without_secret(tmp_path):
    with pytest.raises(ConfigError):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "", "MEDIA_DIR": str(tmp_path)})


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(tmp_path):
    from flask import request

    app = create_app(
        {
            "PROXY_HOPS": 1,
            "MEDIA_DIR": str(tmp_path / "media"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        }
    )
    seen = {}

    @app.get("/whoami")
    def whoami():
        seen["addr"] = request.remote_addr
        return "ok"

    app.test_client().get(
        "/whoami",
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert seen["addr"] == "203.0.113.7"
