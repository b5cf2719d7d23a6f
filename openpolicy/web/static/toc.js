/* The sitting's table of contents follows the reader (a progressive enhancement: without
   this script the contents are plain links and work the same).

   Each link of the contents that points at a speech on this page (#s-12) is tied to that
   speech. An IntersectionObserver tells when one of those speeches crosses the reading
   line (a quarter down the window); the link of the last speech above the line is then
   the current one: it gets aria-current="true" (styled in site.css), the entries it is
   nested in are marked too, and contents that scroll on their own keep the current link in
   view. Links to other parts of the sitting are never current. */
(function () {
  "use strict";
  var toc = document.querySelector("nav.toc[data-follow-reading]");
  if (!toc || !("IntersectionObserver" in window)) {
    return;
  }
  var marks = [];
  Array.prototype.forEach.call(toc.querySelectorAll('a[href^="#s-"]'), function (link) {
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (target) {
      marks.push({ target: target, link: link });
    }
  });
  if (!marks.length) {
    return;
  }
  var current = null;
  var trail = [];
  var pending = false;

  function readingLine() {
    return window.innerHeight / 4;
  }

  function keepInView(link) {
    // The contents scroll on their own beside the speeches (wide screens) or in their box
    // above them (narrow screens): scroll that, never the page.
    var list = toc.querySelector("ol");
    var box = [toc, list].filter(function (element) {
      return element && element.scrollHeight > element.clientHeight;
    })[0];
    if (!box) {
      return;
    }
    var frame = box.getBoundingClientRect();
    var item = link.getBoundingClientRect();
    if (item.top < frame.top || item.bottom > frame.bottom) {
      box.scrollTop += item.top - frame.top - box.clientHeight / 3;
    }
  }

  function markTrail(link) {
    trail.forEach(function (parent) {
      parent.classList.remove("toc-trail");
    });
    trail = [];
    var item = link ? link.parentElement.parentElement.closest("li") : null;
    while (item && toc.contains(item)) {
      var parent = item.querySelector("a");
      if (parent) {
        parent.classList.add("toc-trail");
        trail.push(parent);
      }
      item = item.parentElement.closest("li");
    }
  }

  function update() {
    pending = false;
    var line = readingLine();
    var found = null;
    // Marks are in the order of the sitting; a section and its first subject share their
    // first speech, and the later (deeper) link wins.
    for (var i = 0; i < marks.length; i++) {
      if (marks[i].target.getBoundingClientRect().top <= line) {
        found = marks[i].link;
      } else {
        break;
      }
    }
    if (found === current) {
      return;
    }
    if (current) {
      current.removeAttribute("aria-current");
    }
    current = found;
    markTrail(found);
    if (found) {
      found.setAttribute("aria-current", "true");
      keepInView(found);
    }
  }

  function schedule() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(update);
    }
  }

  var observer = new IntersectionObserver(schedule, {
    rootMargin: "0px 0px -75% 0px",
    threshold: [0, 1],
  });
  marks.forEach(function (mark) {
    observer.observe(mark.target);
  });
  // A jump (a link, the keyboard's End) can carry a speech over the line within one frame,
  // which the observer does not report: check again once the scrolling stops.
  window.addEventListener("scrollend", schedule);
  window.addEventListener("hashchange", schedule);
  window.addEventListener("resize", schedule);
  schedule();
})();
