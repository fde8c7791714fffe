# Seed 002's flask app, as its page shows it: "Hello World by <pod address> from <client address> ! 该页面已被访问 N 次。"
# The seed prints the app's output and runs it as `python flaskapp.py` but does not list its source; this is
# written to match that output. Visits are counted in redis at REDIS_HOST (the seed's service name, redis), port 6379.
import os
import socket

from flask import Flask, request
from redis import Redis

app = Flask(__name__)
# Port 6379 always: Kubernetes sets REDIS_PORT=tcp://ADDRESS:6379 in every pod of a namespace with a redis Service.
redis = Redis(host=os.environ.get("REDIS_HOST", "redis"), port=6379)


@app.route("/")
def hello():
    count = redis.incr("hits")
    address = socket.gethostbyname(socket.gethostname())
    return "Hello World by %s from %s ! 该页面已被访问 %d 次。\n" % (address, request.remote_addr, count)


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
