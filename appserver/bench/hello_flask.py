# The trivial app for gunicorn (sync worker): 200 "Hello, World!" text/plain.
from flask import Flask, Response

app = Flask(__name__)


@app.get("/")
def hello():
    return Response("Hello, World!", mimetype="text/plain")
