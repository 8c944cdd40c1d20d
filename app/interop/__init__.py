"""Adapters to outside protocols, as thin translations onto the same services.

`app.interop` serves the Helsinki profile GDPR API (the City of Helsinki's specification
for platforms that query and delete a user's data across services): its query is the
access report (`app.rights.access`) as a key/children tree, its delete the erasure
(`app.erasure`), each opened, verified and completed as a rights request
(`app.requests.service`). No rule lives here; only the translation.
"""
