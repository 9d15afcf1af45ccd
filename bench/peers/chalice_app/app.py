"""The same trivial handler as a Chalice app, for `chalice local`."""

from chalice import Chalice

app = Chalice(app_name="bench")


@app.route("/hello")
def hello():
    return {"message": "hello", "path": app.current_request.path}
