# The seed's hello route in Flask, served by Debian's gunicorn in compare-servers.
import os

from flask import Flask, Response

app = Flask(__name__)
BIG = b"x" * int(os.environ.get("TSGI_BODY_BYTES", "0"))


@app.route("/")
def hello_world():
    return "<p>Hello, World!</p>"


@app.route("/bytes")
def big():
    return Response(BIG, mimetype="application/octet-stream")
