"""`datacompass auth ...`: log in and out, who am I, API keys."""

from typing import Annotated, Any

import typer

from datacompass_cli import config
from datacompass_cli.client import Client, segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time

app = typer.Typer(help="Log in, check who you are, manage API keys.", no_args_is_help=True)
keys = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys, name="api-key")

Obj = dict[str, Any]


def _get(key: str, formatter: Any = fmt) -> Any:
    return lambda obj: formatter(obj.get(key))


KEY_COLUMNS = [
    Col("ID", _get("id"), "right"),
    Col("NAME", _get("name")),
    Col("PREFIX", _get("prefix")),
    Col("USER", _get("user")),
    Col("CREATED", _get("created_at", fmt_time)),
    Col("EXPIRES", lambda k: fmt_time(k.get("expires_at")) if k.get("expires_at") else "never"),
    Col("LAST USED", _get("last_used_at", fmt_time)),
    Col("REVOKED", _get("revoked_at", fmt_time)),
]
ME_FIELDS: list[Field] = [
    ("User", _get("username")),
    ("Role", _get("role")),
    ("Authenticated by", _get("method")),
]


@app.command("login")
@handle_errors
def login(
    ctx: typer.Context,
    username: Annotated[str, typer.Option("--username", "-u", prompt=True, help="User name.")],
    password: Annotated[
        str,
        typer.Option(
            "--password",
            prompt=True,
            hide_input=True,
            envvar="DATACOMPASS_PASSWORD",
            help="Password (prompted for when not given).",
        ),
    ],
    save: Annotated[
        bool,
        typer.Option(
            "--save/--no-save",
            help="Keep the access and refresh tokens in the per-user credentials file "
            f"(${config.CREDENTIALS_FILE_ENV}, default ~/.config/datacompass/credentials.json).",
        ),
    ] = True,
) -> None:
    """Log in with a password: print `export DATACOMPASS_TOKEN=<access token>` (for `eval`) and
    save the access and refresh tokens so that later commands need no token at all (the access
    token is refreshed when it expires, also when it was exported); `auth logout` forgets them."""
    st = state(ctx)
    with Client(st.url, timeout=st.timeout, use_stored=False) as client:
        tokens = client.post("/auth/login", {"username": username, "password": password})
        base_url = client.base_url
    path = None
    if save:
        access = str(tokens["access_token"])
        path = config.save(
            config.Credentials(
                url=base_url,
                username=str(tokens["user"]["username"]),
                access_token=access,
                refresh_token=str(tokens.get("refresh_token") or ""),
                exported_token_sha256=config.token_digest(access),
            )
        )
    if st.out.is_json:
        st.out.message("", tokens)
        return
    minutes = int(tokens["expires_in"]) // 60
    # Plain echo: a console would wrap the long token and break copy/paste and `eval`.
    typer.echo(f"export DATACOMPASS_TOKEN={tokens['access_token']}")
    who = f"logged in as {tokens['user']['username']} ({tokens['user']['role']})"
    if path is not None:
        st.out.note(
            f"{who}; credentials saved to {path} (the {minutes} min access token is refreshed "
            "automatically) — for automation create an API key (auth api-key create)"
        )
    else:
        st.out.note(
            f"{who}; the token expires in {minutes} min — for automation create an API key "
            "(auth api-key create)"
        )


@app.command("logout")
@handle_errors
def logout(ctx: typer.Context) -> None:
    """Forget the saved login (delete the credentials file)."""
    st = state(ctx)
    path = config.credentials_path()
    removed = config.delete(path)
    text = f"logged out (removed {path})" if removed else f"not logged in (no {path})"
    st.out.message(text, {"removed": removed, "path": str(path)})


@app.command("whoami")
@handle_errors
def whoami(ctx: typer.Context) -> None:
    """Show who the current token authenticates as, and the role."""
    st = state(ctx)
    with st.client() as client:
        st.out.detail(ME_FIELDS, client.get("/auth/me"))


@keys.command("create")
@handle_errors
def create_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the key is for (e.g. 'ci').")],
    expires_in_days: Annotated[
        int, typer.Option("--expires-in-days", min=0, help="Lifetime in days; 0 = never.")
    ] = 90,
    user: Annotated[
        str | None, typer.Option("--user", help="Owner (admins only); default: you.")
    ] = None,
) -> None:
    """Create an API key. The key is printed once and cannot be shown again."""
    st = state(ctx)
    body = {"name": name, "expires_in_days": expires_in_days, "user": user}
    with st.client() as client:
        created = client.post("/auth/api-keys", {k: v for k, v in body.items() if v is not None})
    if st.out.is_json:
        st.out.message("", created)
    else:
        typer.echo(created["key"])
        st.out.note(f"API key {created['id']} ({created['prefix']}…) for {created['user']}: "
                    "store it now, it is not shown again")  # fmt: skip


@keys.command("list")
@handle_errors
def list_keys(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Owner (admins only).")] = None,
) -> None:
    """List API keys (yours; admins: anyone's)."""
    st = state(ctx)
    with st.client() as client:
        items = list(client.paginate("/auth/api-keys", {"user": user}))
    st.out.items(KEY_COLUMNS, items, "no API keys")


@keys.command("revoke")
@handle_errors
def revoke_key(
    ctx: typer.Context, key_id: Annotated[int, typer.Argument(help="Key id (see list).")]
) -> None:
    """Revoke an API key; it stops working within seconds."""
    st = state(ctx)
    with st.client() as client:
        key = client.delete(f"/auth/api-keys/{segment(key_id)}")
    st.out.message(f"API key {key['id']} ({key['prefix']}…) revoked", key)
