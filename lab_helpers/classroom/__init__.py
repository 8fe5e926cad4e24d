"""Class mode: many learners on one shared endpoint, each in an isolated account; progress collected centrally.

- ``roster``: the class directory (``LABKIT_HOME/classes/<name>/``), its roster and each learner's
  connection settings (an env file to source);
- ``learners``: provisioning — one account per learner (AWS Organizations CreateAccount, then
  OrganizationAccountAccessRole), an IAM user with an access key in it, the workshop stack — and
  teardown;
- ``store``: what a learner submits (``labkit submit``, and after every check) and the instructor reads;
- ``report``: learners x labs — checks, quiz scores, who is stuck where — as JSON and a static HTML page.
"""
