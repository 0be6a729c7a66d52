"""A tiny Flask service used as a dockopt example."""
import os

import lxml.etree
import psycopg2
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(status="ok", libpq=psycopg2.__libpq_version__, lxml=lxml.etree.LXML_VERSION[0])


@app.get("/")
def index():
    return jsonify(message="hello from flask", database=os.environ.get("DATABASE_URL", "unset"))
