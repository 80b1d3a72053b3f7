import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// Each test renders into a fresh document and starts at "/".
afterEach(() => {
  cleanup();
  window.history.replaceState(null, "", "/");
  delete window.__RUNTIME_CONFIG__;
});
