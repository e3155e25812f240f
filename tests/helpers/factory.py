"""Test data made directly as the superuser: users (with their JWT claims), releases, videos."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg
from psycopg import sql

from workers.db import jwt_claims


@dataclass
class User:
    id: uuid.UUID
    email: str
    admin: bool = False

    def claims(self) -> dict:
        return jwt_claims(sub=self.id, email=self.email,
                          app_metadata={"provider": "email", **({"role": "admin"} if self.admin else {})})


class Factory:
    """Creates users, releases and videos directly as the superuser (test set-up only)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def user(self, email: str | None = None, *, admin: bool = False) -> User:
        uid = uuid.uuid4()
        email = email or f"{uid.hex[:8]}@example.test"
        app_meta = {"provider": "email", **({"role": "admin"} if admin else {})}
        self.conn.execute(
            "insert into auth.users (id, email, aud, role, raw_app_meta_data)"
            " values (%s, %s, 'authenticated', 'authenticated', %s)",
            (uid, email, psycopg.types.json.Jsonb(app_meta)))
        self.conn.execute("insert into public.profiles (id, full_name) values (%s, %s)", (uid, email))
        return User(uid, email, admin)

    def release(self, owner: User, title: str = "Test Release", genre: str | None = "pop") -> uuid.UUID:
        rid = self.conn.execute("insert into public.releases (user_id, title) values (%s, %s) returning id",
                                (owner.id, title)).fetchone()["id"]
        if genre:
            self.conn.execute("insert into public.release_profiles (release_id, genre) values (%s, %s)",
                              (rid, genre))
        return rid

    def video(self, release_id: uuid.UUID, title: str = "Test Video", **cols) -> uuid.UUID:
        cols = {"release_id": release_id, "title": title, **cols}
        q = sql.SQL("insert into public.music_videos ({}) values ({}) returning id").format(
            sql.SQL(", ").join(map(sql.Identifier, cols)), sql.SQL(", ").join([sql.Placeholder()] * len(cols)))
        return self.conn.execute(q, list(cols.values())).fetchone()["id"]
