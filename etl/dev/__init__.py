"""Development tooling: embedded servers, the replay site, local Airflow wiring. Production never imports it."""
