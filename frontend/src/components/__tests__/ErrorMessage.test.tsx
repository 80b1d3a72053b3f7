import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ErrorMessage } from "../ErrorMessage";

describe("ErrorMessage", () => {
  it("offers the Static Web Apps sign-in when the API asks for a signed-in user", () => {
    window.history.pushState({}, "", "/calls?direction=inbound");
    render(<ErrorMessage error={{ code: "sign_in_required", message: "sign in to start a conversation" }} />);
    expect(screen.getByRole("alert")).toHaveTextContent("This deployment asks you to sign in first.");
    expect(screen.getByRole("link", { name: "Sign in" })).toHaveAttribute(
      "href",
      "/.auth/login/aad?post_login_redirect_uri=%2Fcalls%3Fdirection%3Dinbound",
    );
  });

  it("shows other errors as the API wrote them, without a sign-in link", () => {
    render(<ErrorMessage error={{ code: "rate_limited", message: "too many requests; retry in 30 s" }} />);
    expect(screen.getByRole("alert")).toHaveTextContent("too many requests; retry in 30 s");
    expect(screen.queryByRole("link", { name: "Sign in" })).toBeNull();
  });
});
