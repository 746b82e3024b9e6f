// The desk's ticket form: only the chosen category's details are offered.
(() => {
  "use strict";
  const category = document.getElementById("ticket-category");
  const detail = document.getElementById("ticket-detail");
  if (!category || !detail) return;
  const show = () => {
    for (const option of detail.options) {
      const own = option.dataset.category === "" || option.dataset.category === category.value;
      option.hidden = option.disabled = !own;
    }
    if (detail.selectedOptions[0] && detail.selectedOptions[0].disabled) detail.value = "";
  };
  category.addEventListener("change", show);
  show();
})();
