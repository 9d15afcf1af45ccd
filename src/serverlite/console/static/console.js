// serverlite console: live logs over server-sent events (the one thing htmx core does not do).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("logs");
  if (!box) return;
  var source = null;
  function connect() {
    if (source) source.close();
    box.textContent = "";
    var filter = document.getElementById("log-filter");
    var url = box.dataset.stream + "?filter=" + encodeURIComponent(filter ? filter.value : "");
    source = new EventSource(url);
    source.onmessage = function (event) {
      box.textContent += event.data + "\n";
      box.scrollTop = box.scrollHeight;
    };
  }
  var filter = document.getElementById("log-filter");
  if (filter) filter.addEventListener("change", connect);
  connect();
});
