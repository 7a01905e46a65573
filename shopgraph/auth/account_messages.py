"""What the account emails say: plain text that tells the reader what happened and what
to do, with the one-time code on a line of its own. No name or other text a stranger could
have chosen goes into them. Lines stay short, so a plain ASCII message travels as it is
written (no quoted-printable soft breaks) and a tester can read the code in the .eml file.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AccountMessage:
    to: str
    subject: str
    text: str


def password_reset_message(to: str, token: str, minutes: int) -> AccountMessage:
    text = f"""Hello,

Someone, hopefully you, asked to reset the password of the Shopgraph
account for this address:

    {to}

Your password reset code is:

    {token}

Enter it, with the new password you want, in the store's "reset
password" form (over the API: resetPassword(token: "<code>",
newPassword: "<new password>")). The code works once, within
{minutes} minutes; any code we sent you before this one no longer works.
Resetting the password signs out every device signed in to the account.

If you did not ask for this, ignore this email: your password stays
as it is.
"""
    return AccountMessage(to, "Reset your Shopgraph password", text)


def email_verification_message(to: str, token: str, hours: int) -> AccountMessage:
    text = f"""Hello,

Please confirm that this is the email address of your Shopgraph account:

    {to}

Your confirmation code is:

    {token}

Enter it in the store's "confirm email" form (over the API:
verifyEmail(token: "<code>")). The code works once, within {hours} hours.
If it runs out, ask for a new one from your account, or use "forgot
password": a password reset confirms your address too.

If you did not create a Shopgraph account, ignore this email.
"""
    return AccountMessage(to, "Confirm your email address", text)


def signup_attempt_message(to: str) -> AccountMessage:
    text = f"""Hello,

Someone, perhaps you, just tried to create a new Shopgraph account
with this address:

    {to}

There already is an account with it, so no new account was made, and
yours has not changed.

- If it was you: log in with this address and your password.
- Forgot your password? Use "forgot password" in the store (over the
  API: requestPasswordReset(email: "<this address>")), and we will
  email you a reset code.

If it was not you, ignore this email: nobody can get into your account
with it.
"""
    return AccountMessage(to, "Someone tried to sign up with your email address", text)
