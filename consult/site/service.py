from consult.extensions import db


def remember_locale(user, locale: str) -> None:
    """Keep a signed-in person's language choice on their account."""
    if user.locale != locale:
        user.locale = locale
        db.session.commit()
