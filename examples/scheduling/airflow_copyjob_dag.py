"""Airflow: copyjob's job every hour, never two runs at once (max_active_runs=1), no backfill.

Exit code 3 (another run holds the job's lease) is a skip, not a failure; 1 fails the task.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="copyjob_sales",
    schedule="0 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "execution_timeout": timedelta(hours=6)},
) as dag:
    BashOperator(
        task_id="copy",
        bash_command="cd /opt/copyjob && scripts/copyjob run jobs/sales.yaml --json",
        # Airflow marks the task skipped on this exit code.
        skip_on_exit_code=3,
    )
