// The error page's Back: the browser's own Back, which brings the form again with what was
// typed in it; without this script the link goes to the form's address.
document.querySelectorAll("a[data-back]").forEach(function (a) {
  a.addEventListener("click", function (e) {
    if (window.history.length > 1 && document.referrer) {
      e.preventDefault();
      window.history.back();
    }
  });
});
