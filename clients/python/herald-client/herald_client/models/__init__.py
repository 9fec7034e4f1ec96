""" Contains all the data models used in inputs/outputs """

from .accepted import Accepted
from .append_match_event_response_400 import AppendMatchEventResponse400
from .append_match_event_response_400_error import AppendMatchEventResponse400Error
from .append_match_event_response_400_error_code import AppendMatchEventResponse400ErrorCode
from .append_match_event_response_401 import AppendMatchEventResponse401
from .append_match_event_response_401_error import AppendMatchEventResponse401Error
from .append_match_event_response_401_error_code import AppendMatchEventResponse401ErrorCode
from .append_match_event_response_404 import AppendMatchEventResponse404
from .append_match_event_response_404_error import AppendMatchEventResponse404Error
from .append_match_event_response_404_error_code import AppendMatchEventResponse404ErrorCode
from .append_match_event_response_408 import AppendMatchEventResponse408
from .append_match_event_response_408_error import AppendMatchEventResponse408Error
from .append_match_event_response_408_error_code import AppendMatchEventResponse408ErrorCode
from .append_match_event_response_409 import AppendMatchEventResponse409
from .append_match_event_response_409_error import AppendMatchEventResponse409Error
from .append_match_event_response_409_error_code import AppendMatchEventResponse409ErrorCode
from .append_match_event_response_413 import AppendMatchEventResponse413
from .append_match_event_response_413_error import AppendMatchEventResponse413Error
from .append_match_event_response_413_error_code import AppendMatchEventResponse413ErrorCode
from .append_match_event_response_415 import AppendMatchEventResponse415
from .append_match_event_response_415_error import AppendMatchEventResponse415Error
from .append_match_event_response_415_error_code import AppendMatchEventResponse415ErrorCode
from .append_match_event_response_422 import AppendMatchEventResponse422
from .append_match_event_response_422_error import AppendMatchEventResponse422Error
from .append_match_event_response_422_error_code import AppendMatchEventResponse422ErrorCode
from .append_match_event_response_429 import AppendMatchEventResponse429
from .append_match_event_response_429_error import AppendMatchEventResponse429Error
from .append_match_event_response_429_error_code import AppendMatchEventResponse429ErrorCode
from .append_match_event_response_500 import AppendMatchEventResponse500
from .append_match_event_response_500_error import AppendMatchEventResponse500Error
from .append_match_event_response_500_error_code import AppendMatchEventResponse500ErrorCode
from .append_match_event_response_503 import AppendMatchEventResponse503
from .append_match_event_response_503_error import AppendMatchEventResponse503Error
from .append_match_event_response_503_error_code import AppendMatchEventResponse503ErrorCode
from .batch import Batch
from .batch_accepted import BatchAccepted
from .cancel_job_response_401 import CancelJobResponse401
from .cancel_job_response_401_error import CancelJobResponse401Error
from .cancel_job_response_401_error_code import CancelJobResponse401ErrorCode
from .cancel_job_response_404 import CancelJobResponse404
from .cancel_job_response_404_error import CancelJobResponse404Error
from .cancel_job_response_404_error_code import CancelJobResponse404ErrorCode
from .cancel_job_response_409 import CancelJobResponse409
from .cancel_job_response_409_error import CancelJobResponse409Error
from .cancel_job_response_409_error_code import CancelJobResponse409ErrorCode
from .cancel_job_response_429 import CancelJobResponse429
from .cancel_job_response_429_error import CancelJobResponse429Error
from .cancel_job_response_429_error_code import CancelJobResponse429ErrorCode
from .cancel_job_response_500 import CancelJobResponse500
from .cancel_job_response_500_error import CancelJobResponse500Error
from .cancel_job_response_500_error_code import CancelJobResponse500ErrorCode
from .cancel_job_response_503 import CancelJobResponse503
from .cancel_job_response_503_error import CancelJobResponse503Error
from .cancel_job_response_503_error_code import CancelJobResponse503ErrorCode
from .channel import Channel
from .create_match_response_400 import CreateMatchResponse400
from .create_match_response_400_error import CreateMatchResponse400Error
from .create_match_response_400_error_code import CreateMatchResponse400ErrorCode
from .create_match_response_401 import CreateMatchResponse401
from .create_match_response_401_error import CreateMatchResponse401Error
from .create_match_response_401_error_code import CreateMatchResponse401ErrorCode
from .create_match_response_408 import CreateMatchResponse408
from .create_match_response_408_error import CreateMatchResponse408Error
from .create_match_response_408_error_code import CreateMatchResponse408ErrorCode
from .create_match_response_413 import CreateMatchResponse413
from .create_match_response_413_error import CreateMatchResponse413Error
from .create_match_response_413_error_code import CreateMatchResponse413ErrorCode
from .create_match_response_415 import CreateMatchResponse415
from .create_match_response_415_error import CreateMatchResponse415Error
from .create_match_response_415_error_code import CreateMatchResponse415ErrorCode
from .create_match_response_422 import CreateMatchResponse422
from .create_match_response_422_error import CreateMatchResponse422Error
from .create_match_response_422_error_code import CreateMatchResponse422ErrorCode
from .create_match_response_429 import CreateMatchResponse429
from .create_match_response_429_error import CreateMatchResponse429Error
from .create_match_response_429_error_code import CreateMatchResponse429ErrorCode
from .create_match_response_500 import CreateMatchResponse500
from .create_match_response_500_error import CreateMatchResponse500Error
from .create_match_response_500_error_code import CreateMatchResponse500ErrorCode
from .create_match_response_503 import CreateMatchResponse503
from .create_match_response_503_error import CreateMatchResponse503Error
from .create_match_response_503_error_code import CreateMatchResponse503ErrorCode
from .create_notification_batch_response_400 import CreateNotificationBatchResponse400
from .create_notification_batch_response_400_error import CreateNotificationBatchResponse400Error
from .create_notification_batch_response_400_error_code import CreateNotificationBatchResponse400ErrorCode
from .create_notification_batch_response_401 import CreateNotificationBatchResponse401
from .create_notification_batch_response_401_error import CreateNotificationBatchResponse401Error
from .create_notification_batch_response_401_error_code import CreateNotificationBatchResponse401ErrorCode
from .create_notification_batch_response_408 import CreateNotificationBatchResponse408
from .create_notification_batch_response_408_error import CreateNotificationBatchResponse408Error
from .create_notification_batch_response_408_error_code import CreateNotificationBatchResponse408ErrorCode
from .create_notification_batch_response_413 import CreateNotificationBatchResponse413
from .create_notification_batch_response_413_error import CreateNotificationBatchResponse413Error
from .create_notification_batch_response_413_error_code import CreateNotificationBatchResponse413ErrorCode
from .create_notification_batch_response_415 import CreateNotificationBatchResponse415
from .create_notification_batch_response_415_error import CreateNotificationBatchResponse415Error
from .create_notification_batch_response_415_error_code import CreateNotificationBatchResponse415ErrorCode
from .create_notification_batch_response_422 import CreateNotificationBatchResponse422
from .create_notification_batch_response_422_error import CreateNotificationBatchResponse422Error
from .create_notification_batch_response_422_error_code import CreateNotificationBatchResponse422ErrorCode
from .create_notification_batch_response_429 import CreateNotificationBatchResponse429
from .create_notification_batch_response_429_error import CreateNotificationBatchResponse429Error
from .create_notification_batch_response_429_error_code import CreateNotificationBatchResponse429ErrorCode
from .create_notification_batch_response_500 import CreateNotificationBatchResponse500
from .create_notification_batch_response_500_error import CreateNotificationBatchResponse500Error
from .create_notification_batch_response_500_error_code import CreateNotificationBatchResponse500ErrorCode
from .create_notification_batch_response_503 import CreateNotificationBatchResponse503
from .create_notification_batch_response_503_error import CreateNotificationBatchResponse503Error
from .create_notification_batch_response_503_error_code import CreateNotificationBatchResponse503ErrorCode
from .create_notification_response_400 import CreateNotificationResponse400
from .create_notification_response_400_error import CreateNotificationResponse400Error
from .create_notification_response_400_error_code import CreateNotificationResponse400ErrorCode
from .create_notification_response_401 import CreateNotificationResponse401
from .create_notification_response_401_error import CreateNotificationResponse401Error
from .create_notification_response_401_error_code import CreateNotificationResponse401ErrorCode
from .create_notification_response_408 import CreateNotificationResponse408
from .create_notification_response_408_error import CreateNotificationResponse408Error
from .create_notification_response_408_error_code import CreateNotificationResponse408ErrorCode
from .create_notification_response_413 import CreateNotificationResponse413
from .create_notification_response_413_error import CreateNotificationResponse413Error
from .create_notification_response_413_error_code import CreateNotificationResponse413ErrorCode
from .create_notification_response_415 import CreateNotificationResponse415
from .create_notification_response_415_error import CreateNotificationResponse415Error
from .create_notification_response_415_error_code import CreateNotificationResponse415ErrorCode
from .create_notification_response_422 import CreateNotificationResponse422
from .create_notification_response_422_error import CreateNotificationResponse422Error
from .create_notification_response_422_error_code import CreateNotificationResponse422ErrorCode
from .create_notification_response_429 import CreateNotificationResponse429
from .create_notification_response_429_error import CreateNotificationResponse429Error
from .create_notification_response_429_error_code import CreateNotificationResponse429ErrorCode
from .create_notification_response_500 import CreateNotificationResponse500
from .create_notification_response_500_error import CreateNotificationResponse500Error
from .create_notification_response_500_error_code import CreateNotificationResponse500ErrorCode
from .create_notification_response_503 import CreateNotificationResponse503
from .create_notification_response_503_error import CreateNotificationResponse503Error
from .create_notification_response_503_error_code import CreateNotificationResponse503ErrorCode
from .create_stream_token_response_400 import CreateStreamTokenResponse400
from .create_stream_token_response_400_error import CreateStreamTokenResponse400Error
from .create_stream_token_response_400_error_code import CreateStreamTokenResponse400ErrorCode
from .create_stream_token_response_401 import CreateStreamTokenResponse401
from .create_stream_token_response_401_error import CreateStreamTokenResponse401Error
from .create_stream_token_response_401_error_code import CreateStreamTokenResponse401ErrorCode
from .create_stream_token_response_404 import CreateStreamTokenResponse404
from .create_stream_token_response_404_error import CreateStreamTokenResponse404Error
from .create_stream_token_response_404_error_code import CreateStreamTokenResponse404ErrorCode
from .create_stream_token_response_408 import CreateStreamTokenResponse408
from .create_stream_token_response_408_error import CreateStreamTokenResponse408Error
from .create_stream_token_response_408_error_code import CreateStreamTokenResponse408ErrorCode
from .create_stream_token_response_413 import CreateStreamTokenResponse413
from .create_stream_token_response_413_error import CreateStreamTokenResponse413Error
from .create_stream_token_response_413_error_code import CreateStreamTokenResponse413ErrorCode
from .create_stream_token_response_415 import CreateStreamTokenResponse415
from .create_stream_token_response_415_error import CreateStreamTokenResponse415Error
from .create_stream_token_response_415_error_code import CreateStreamTokenResponse415ErrorCode
from .create_stream_token_response_422 import CreateStreamTokenResponse422
from .create_stream_token_response_422_error import CreateStreamTokenResponse422Error
from .create_stream_token_response_422_error_code import CreateStreamTokenResponse422ErrorCode
from .create_stream_token_response_429 import CreateStreamTokenResponse429
from .create_stream_token_response_429_error import CreateStreamTokenResponse429Error
from .create_stream_token_response_429_error_code import CreateStreamTokenResponse429ErrorCode
from .create_stream_token_response_500 import CreateStreamTokenResponse500
from .create_stream_token_response_500_error import CreateStreamTokenResponse500Error
from .create_stream_token_response_500_error_code import CreateStreamTokenResponse500ErrorCode
from .create_stream_token_response_503 import CreateStreamTokenResponse503
from .create_stream_token_response_503_error import CreateStreamTokenResponse503Error
from .create_stream_token_response_503_error_code import CreateStreamTokenResponse503ErrorCode
from .email_body_notification import EmailBodyNotification
from .email_body_notification_metadata import EmailBodyNotificationMetadata
from .email_player_notify import EmailPlayerNotify
from .email_recipient import EmailRecipient
from .email_template_notification import EmailTemplateNotification
from .email_template_notification_data import EmailTemplateNotificationData
from .email_template_notification_metadata import EmailTemplateNotificationMetadata
from .end_event import EndEvent
from .error import Error
from .error_error import ErrorError
from .error_error_code import ErrorErrorCode
from .event_accepted import EventAccepted
from .event_page import EventPage
from .get_job_response_401 import GetJobResponse401
from .get_job_response_401_error import GetJobResponse401Error
from .get_job_response_401_error_code import GetJobResponse401ErrorCode
from .get_job_response_404 import GetJobResponse404
from .get_job_response_404_error import GetJobResponse404Error
from .get_job_response_404_error_code import GetJobResponse404ErrorCode
from .get_job_response_429 import GetJobResponse429
from .get_job_response_429_error import GetJobResponse429Error
from .get_job_response_429_error_code import GetJobResponse429ErrorCode
from .get_job_response_500 import GetJobResponse500
from .get_job_response_500_error import GetJobResponse500Error
from .get_job_response_500_error_code import GetJobResponse500ErrorCode
from .get_job_response_503 import GetJobResponse503
from .get_job_response_503_error import GetJobResponse503Error
from .get_job_response_503_error_code import GetJobResponse503ErrorCode
from .get_match_response_401 import GetMatchResponse401
from .get_match_response_401_error import GetMatchResponse401Error
from .get_match_response_401_error_code import GetMatchResponse401ErrorCode
from .get_match_response_404 import GetMatchResponse404
from .get_match_response_404_error import GetMatchResponse404Error
from .get_match_response_404_error_code import GetMatchResponse404ErrorCode
from .get_match_response_429 import GetMatchResponse429
from .get_match_response_429_error import GetMatchResponse429Error
from .get_match_response_429_error_code import GetMatchResponse429ErrorCode
from .get_match_response_500 import GetMatchResponse500
from .get_match_response_500_error import GetMatchResponse500Error
from .get_match_response_500_error_code import GetMatchResponse500ErrorCode
from .get_match_response_503 import GetMatchResponse503
from .get_match_response_503_error import GetMatchResponse503Error
from .get_match_response_503_error_code import GetMatchResponse503ErrorCode
from .health_response_200 import HealthResponse200
from .issued_token import IssuedToken
from .job import Job
from .job_history_item import JobHistoryItem
from .job_history_item_outcome import JobHistoryItemOutcome
from .job_kind import JobKind
from .job_page import JobPage
from .job_payload import JobPayload
from .job_status import JobStatus
from .join_event import JoinEvent
from .list_dead_letters_response_400 import ListDeadLettersResponse400
from .list_dead_letters_response_400_error import ListDeadLettersResponse400Error
from .list_dead_letters_response_400_error_code import ListDeadLettersResponse400ErrorCode
from .list_dead_letters_response_401 import ListDeadLettersResponse401
from .list_dead_letters_response_401_error import ListDeadLettersResponse401Error
from .list_dead_letters_response_401_error_code import ListDeadLettersResponse401ErrorCode
from .list_dead_letters_response_429 import ListDeadLettersResponse429
from .list_dead_letters_response_429_error import ListDeadLettersResponse429Error
from .list_dead_letters_response_429_error_code import ListDeadLettersResponse429ErrorCode
from .list_dead_letters_response_500 import ListDeadLettersResponse500
from .list_dead_letters_response_500_error import ListDeadLettersResponse500Error
from .list_dead_letters_response_500_error_code import ListDeadLettersResponse500ErrorCode
from .list_dead_letters_response_503 import ListDeadLettersResponse503
from .list_dead_letters_response_503_error import ListDeadLettersResponse503Error
from .list_dead_letters_response_503_error_code import ListDeadLettersResponse503ErrorCode
from .list_dead_letters_view import ListDeadLettersView
from .list_jobs_response_400 import ListJobsResponse400
from .list_jobs_response_400_error import ListJobsResponse400Error
from .list_jobs_response_400_error_code import ListJobsResponse400ErrorCode
from .list_jobs_response_401 import ListJobsResponse401
from .list_jobs_response_401_error import ListJobsResponse401Error
from .list_jobs_response_401_error_code import ListJobsResponse401ErrorCode
from .list_jobs_response_429 import ListJobsResponse429
from .list_jobs_response_429_error import ListJobsResponse429Error
from .list_jobs_response_429_error_code import ListJobsResponse429ErrorCode
from .list_jobs_response_500 import ListJobsResponse500
from .list_jobs_response_500_error import ListJobsResponse500Error
from .list_jobs_response_500_error_code import ListJobsResponse500ErrorCode
from .list_jobs_response_503 import ListJobsResponse503
from .list_jobs_response_503_error import ListJobsResponse503Error
from .list_jobs_response_503_error_code import ListJobsResponse503ErrorCode
from .list_jobs_view import ListJobsView
from .list_match_events_response_400 import ListMatchEventsResponse400
from .list_match_events_response_400_error import ListMatchEventsResponse400Error
from .list_match_events_response_400_error_code import ListMatchEventsResponse400ErrorCode
from .list_match_events_response_401 import ListMatchEventsResponse401
from .list_match_events_response_401_error import ListMatchEventsResponse401Error
from .list_match_events_response_401_error_code import ListMatchEventsResponse401ErrorCode
from .list_match_events_response_404 import ListMatchEventsResponse404
from .list_match_events_response_404_error import ListMatchEventsResponse404Error
from .list_match_events_response_404_error_code import ListMatchEventsResponse404ErrorCode
from .list_match_events_response_429 import ListMatchEventsResponse429
from .list_match_events_response_429_error import ListMatchEventsResponse429Error
from .list_match_events_response_429_error_code import ListMatchEventsResponse429ErrorCode
from .list_match_events_response_500 import ListMatchEventsResponse500
from .list_match_events_response_500_error import ListMatchEventsResponse500Error
from .list_match_events_response_500_error_code import ListMatchEventsResponse500ErrorCode
from .list_match_events_response_503 import ListMatchEventsResponse503
from .list_match_events_response_503_error import ListMatchEventsResponse503Error
from .list_match_events_response_503_error_code import ListMatchEventsResponse503ErrorCode
from .list_queues_response_401 import ListQueuesResponse401
from .list_queues_response_401_error import ListQueuesResponse401Error
from .list_queues_response_401_error_code import ListQueuesResponse401ErrorCode
from .list_queues_response_429 import ListQueuesResponse429
from .list_queues_response_429_error import ListQueuesResponse429Error
from .list_queues_response_429_error_code import ListQueuesResponse429ErrorCode
from .list_queues_response_500 import ListQueuesResponse500
from .list_queues_response_500_error import ListQueuesResponse500Error
from .list_queues_response_500_error_code import ListQueuesResponse500ErrorCode
from .list_queues_response_503 import ListQueuesResponse503
from .list_queues_response_503_error import ListQueuesResponse503Error
from .list_queues_response_503_error_code import ListQueuesResponse503ErrorCode
from .list_workers_response_401 import ListWorkersResponse401
from .list_workers_response_401_error import ListWorkersResponse401Error
from .list_workers_response_401_error_code import ListWorkersResponse401ErrorCode
from .list_workers_response_429 import ListWorkersResponse429
from .list_workers_response_429_error import ListWorkersResponse429Error
from .list_workers_response_429_error_code import ListWorkersResponse429ErrorCode
from .list_workers_response_500 import ListWorkersResponse500
from .list_workers_response_500_error import ListWorkersResponse500Error
from .list_workers_response_500_error_code import ListWorkersResponse500ErrorCode
from .list_workers_response_503 import ListWorkersResponse503
from .list_workers_response_503_error import ListWorkersResponse503Error
from .list_workers_response_503_error_code import ListWorkersResponse503ErrorCode
from .log_body_notification import LogBodyNotification
from .log_body_notification_metadata import LogBodyNotificationMetadata
from .log_player_notify import LogPlayerNotify
from .log_recipient import LogRecipient
from .log_template_notification import LogTemplateNotification
from .log_template_notification_data import LogTemplateNotificationData
from .log_template_notification_metadata import LogTemplateNotificationMetadata
from .logged_event import LoggedEvent
from .logged_event_type import LoggedEventType
from .match import Match
from .match_metadata import MatchMetadata
from .match_type import MatchType
from .match_view import MatchView
from .match_view_metadata import MatchViewMetadata
from .match_view_result_type_0 import MatchViewResultType0
from .match_view_result_type_0_ended_by import MatchViewResultType0EndedBy
from .match_view_result_type_0_standings_item import MatchViewResultType0StandingsItem
from .match_view_state import MatchViewState
from .match_view_type import MatchViewType
from .metrics_response_500 import MetricsResponse500
from .metrics_response_500_error import MetricsResponse500Error
from .metrics_response_500_error_code import MetricsResponse500ErrorCode
from .openapi_response_200 import OpenapiResponse200
from .player import Player
from .priority import Priority
from .push_body_notification import PushBodyNotification
from .push_body_notification_metadata import PushBodyNotificationMetadata
from .push_player_notify import PushPlayerNotify
from .push_recipient import PushRecipient
from .push_template_notification import PushTemplateNotification
from .push_template_notification_data import PushTemplateNotificationData
from .push_template_notification_metadata import PushTemplateNotificationMetadata
from .queues import Queues
from .queues_queues_item import QueuesQueuesItem
from .queues_queues_item_counts import QueuesQueuesItemCounts
from .quiet_hours import QuietHours
from .ready import Ready
from .ready_broker import ReadyBroker
from .ready_status import ReadyStatus
from .ready_store import ReadyStore
from .retry_job_response_401 import RetryJobResponse401
from .retry_job_response_401_error import RetryJobResponse401Error
from .retry_job_response_401_error_code import RetryJobResponse401ErrorCode
from .retry_job_response_404 import RetryJobResponse404
from .retry_job_response_404_error import RetryJobResponse404Error
from .retry_job_response_404_error_code import RetryJobResponse404ErrorCode
from .retry_job_response_409 import RetryJobResponse409
from .retry_job_response_409_error import RetryJobResponse409Error
from .retry_job_response_409_error_code import RetryJobResponse409ErrorCode
from .retry_job_response_429 import RetryJobResponse429
from .retry_job_response_429_error import RetryJobResponse429Error
from .retry_job_response_429_error_code import RetryJobResponse429ErrorCode
from .retry_job_response_500 import RetryJobResponse500
from .retry_job_response_500_error import RetryJobResponse500Error
from .retry_job_response_500_error_code import RetryJobResponse500ErrorCode
from .retry_job_response_503 import RetryJobResponse503
from .retry_job_response_503_error import RetryJobResponse503Error
from .retry_job_response_503_error_code import RetryJobResponse503ErrorCode
from .score_event import ScoreEvent
from .sms_body_notification import SmsBodyNotification
from .sms_body_notification_metadata import SmsBodyNotificationMetadata
from .sms_player_notify import SmsPlayerNotify
from .sms_recipient import SmsRecipient
from .sms_template_notification import SmsTemplateNotification
from .sms_template_notification_data import SmsTemplateNotificationData
from .sms_template_notification_metadata import SmsTemplateNotificationMetadata
from .stream_match_response_200 import StreamMatchResponse200
from .stream_match_response_400 import StreamMatchResponse400
from .stream_match_response_400_error import StreamMatchResponse400Error
from .stream_match_response_400_error_code import StreamMatchResponse400ErrorCode
from .stream_match_response_401 import StreamMatchResponse401
from .stream_match_response_401_error import StreamMatchResponse401Error
from .stream_match_response_401_error_code import StreamMatchResponse401ErrorCode
from .stream_match_response_403 import StreamMatchResponse403
from .stream_match_response_403_error import StreamMatchResponse403Error
from .stream_match_response_403_error_code import StreamMatchResponse403ErrorCode
from .stream_match_response_404 import StreamMatchResponse404
from .stream_match_response_404_error import StreamMatchResponse404Error
from .stream_match_response_404_error_code import StreamMatchResponse404ErrorCode
from .stream_match_response_429 import StreamMatchResponse429
from .stream_match_response_429_error import StreamMatchResponse429Error
from .stream_match_response_429_error_code import StreamMatchResponse429ErrorCode
from .stream_match_response_500 import StreamMatchResponse500
from .stream_match_response_500_error import StreamMatchResponse500Error
from .stream_match_response_500_error_code import StreamMatchResponse500ErrorCode
from .stream_match_response_503 import StreamMatchResponse503
from .stream_match_response_503_error import StreamMatchResponse503Error
from .stream_match_response_503_error_code import StreamMatchResponse503ErrorCode
from .stream_match_web_socket_response_400 import StreamMatchWebSocketResponse400
from .stream_match_web_socket_response_400_error import StreamMatchWebSocketResponse400Error
from .stream_match_web_socket_response_400_error_code import StreamMatchWebSocketResponse400ErrorCode
from .stream_match_web_socket_response_401 import StreamMatchWebSocketResponse401
from .stream_match_web_socket_response_401_error import StreamMatchWebSocketResponse401Error
from .stream_match_web_socket_response_401_error_code import StreamMatchWebSocketResponse401ErrorCode
from .stream_match_web_socket_response_403 import StreamMatchWebSocketResponse403
from .stream_match_web_socket_response_403_error import StreamMatchWebSocketResponse403Error
from .stream_match_web_socket_response_403_error_code import StreamMatchWebSocketResponse403ErrorCode
from .stream_match_web_socket_response_404 import StreamMatchWebSocketResponse404
from .stream_match_web_socket_response_404_error import StreamMatchWebSocketResponse404Error
from .stream_match_web_socket_response_404_error_code import StreamMatchWebSocketResponse404ErrorCode
from .stream_match_web_socket_response_429 import StreamMatchWebSocketResponse429
from .stream_match_web_socket_response_429_error import StreamMatchWebSocketResponse429Error
from .stream_match_web_socket_response_429_error_code import StreamMatchWebSocketResponse429ErrorCode
from .stream_match_web_socket_response_500 import StreamMatchWebSocketResponse500
from .stream_match_web_socket_response_500_error import StreamMatchWebSocketResponse500Error
from .stream_match_web_socket_response_500_error_code import StreamMatchWebSocketResponse500ErrorCode
from .stream_match_web_socket_response_503 import StreamMatchWebSocketResponse503
from .stream_match_web_socket_response_503_error import StreamMatchWebSocketResponse503Error
from .stream_match_web_socket_response_503_error_code import StreamMatchWebSocketResponse503ErrorCode
from .time_zone import TimeZone
from .token_request import TokenRequest
from .webhook_body_notification import WebhookBodyNotification
from .webhook_body_notification_metadata import WebhookBodyNotificationMetadata
from .webhook_player_notify import WebhookPlayerNotify
from .webhook_recipient import WebhookRecipient
from .webhook_template_notification import WebhookTemplateNotification
from .webhook_template_notification_data import WebhookTemplateNotificationData
from .webhook_template_notification_metadata import WebhookTemplateNotificationMetadata
from .workers import Workers
from .workers_workers_item import WorkersWorkersItem
from .workers_workers_item_status import WorkersWorkersItemStatus

__all__ = (
    "Accepted",
    "AppendMatchEventResponse400",
    "AppendMatchEventResponse400Error",
    "AppendMatchEventResponse400ErrorCode",
    "AppendMatchEventResponse401",
    "AppendMatchEventResponse401Error",
    "AppendMatchEventResponse401ErrorCode",
    "AppendMatchEventResponse404",
    "AppendMatchEventResponse404Error",
    "AppendMatchEventResponse404ErrorCode",
    "AppendMatchEventResponse408",
    "AppendMatchEventResponse408Error",
    "AppendMatchEventResponse408ErrorCode",
    "AppendMatchEventResponse409",
    "AppendMatchEventResponse409Error",
    "AppendMatchEventResponse409ErrorCode",
    "AppendMatchEventResponse413",
    "AppendMatchEventResponse413Error",
    "AppendMatchEventResponse413ErrorCode",
    "AppendMatchEventResponse415",
    "AppendMatchEventResponse415Error",
    "AppendMatchEventResponse415ErrorCode",
    "AppendMatchEventResponse422",
    "AppendMatchEventResponse422Error",
    "AppendMatchEventResponse422ErrorCode",
    "AppendMatchEventResponse429",
    "AppendMatchEventResponse429Error",
    "AppendMatchEventResponse429ErrorCode",
    "AppendMatchEventResponse500",
    "AppendMatchEventResponse500Error",
    "AppendMatchEventResponse500ErrorCode",
    "AppendMatchEventResponse503",
    "AppendMatchEventResponse503Error",
    "AppendMatchEventResponse503ErrorCode",
    "Batch",
    "BatchAccepted",
    "CancelJobResponse401",
    "CancelJobResponse401Error",
    "CancelJobResponse401ErrorCode",
    "CancelJobResponse404",
    "CancelJobResponse404Error",
    "CancelJobResponse404ErrorCode",
    "CancelJobResponse409",
    "CancelJobResponse409Error",
    "CancelJobResponse409ErrorCode",
    "CancelJobResponse429",
    "CancelJobResponse429Error",
    "CancelJobResponse429ErrorCode",
    "CancelJobResponse500",
    "CancelJobResponse500Error",
    "CancelJobResponse500ErrorCode",
    "CancelJobResponse503",
    "CancelJobResponse503Error",
    "CancelJobResponse503ErrorCode",
    "Channel",
    "CreateMatchResponse400",
    "CreateMatchResponse400Error",
    "CreateMatchResponse400ErrorCode",
    "CreateMatchResponse401",
    "CreateMatchResponse401Error",
    "CreateMatchResponse401ErrorCode",
    "CreateMatchResponse408",
    "CreateMatchResponse408Error",
    "CreateMatchResponse408ErrorCode",
    "CreateMatchResponse413",
    "CreateMatchResponse413Error",
    "CreateMatchResponse413ErrorCode",
    "CreateMatchResponse415",
    "CreateMatchResponse415Error",
    "CreateMatchResponse415ErrorCode",
    "CreateMatchResponse422",
    "CreateMatchResponse422Error",
    "CreateMatchResponse422ErrorCode",
    "CreateMatchResponse429",
    "CreateMatchResponse429Error",
    "CreateMatchResponse429ErrorCode",
    "CreateMatchResponse500",
    "CreateMatchResponse500Error",
    "CreateMatchResponse500ErrorCode",
    "CreateMatchResponse503",
    "CreateMatchResponse503Error",
    "CreateMatchResponse503ErrorCode",
    "CreateNotificationBatchResponse400",
    "CreateNotificationBatchResponse400Error",
    "CreateNotificationBatchResponse400ErrorCode",
    "CreateNotificationBatchResponse401",
    "CreateNotificationBatchResponse401Error",
    "CreateNotificationBatchResponse401ErrorCode",
    "CreateNotificationBatchResponse408",
    "CreateNotificationBatchResponse408Error",
    "CreateNotificationBatchResponse408ErrorCode",
    "CreateNotificationBatchResponse413",
    "CreateNotificationBatchResponse413Error",
    "CreateNotificationBatchResponse413ErrorCode",
    "CreateNotificationBatchResponse415",
    "CreateNotificationBatchResponse415Error",
    "CreateNotificationBatchResponse415ErrorCode",
    "CreateNotificationBatchResponse422",
    "CreateNotificationBatchResponse422Error",
    "CreateNotificationBatchResponse422ErrorCode",
    "CreateNotificationBatchResponse429",
    "CreateNotificationBatchResponse429Error",
    "CreateNotificationBatchResponse429ErrorCode",
    "CreateNotificationBatchResponse500",
    "CreateNotificationBatchResponse500Error",
    "CreateNotificationBatchResponse500ErrorCode",
    "CreateNotificationBatchResponse503",
    "CreateNotificationBatchResponse503Error",
    "CreateNotificationBatchResponse503ErrorCode",
    "CreateNotificationResponse400",
    "CreateNotificationResponse400Error",
    "CreateNotificationResponse400ErrorCode",
    "CreateNotificationResponse401",
    "CreateNotificationResponse401Error",
    "CreateNotificationResponse401ErrorCode",
    "CreateNotificationResponse408",
    "CreateNotificationResponse408Error",
    "CreateNotificationResponse408ErrorCode",
    "CreateNotificationResponse413",
    "CreateNotificationResponse413Error",
    "CreateNotificationResponse413ErrorCode",
    "CreateNotificationResponse415",
    "CreateNotificationResponse415Error",
    "CreateNotificationResponse415ErrorCode",
    "CreateNotificationResponse422",
    "CreateNotificationResponse422Error",
    "CreateNotificationResponse422ErrorCode",
    "CreateNotificationResponse429",
    "CreateNotificationResponse429Error",
    "CreateNotificationResponse429ErrorCode",
    "CreateNotificationResponse500",
    "CreateNotificationResponse500Error",
    "CreateNotificationResponse500ErrorCode",
    "CreateNotificationResponse503",
    "CreateNotificationResponse503Error",
    "CreateNotificationResponse503ErrorCode",
    "CreateStreamTokenResponse400",
    "CreateStreamTokenResponse400Error",
    "CreateStreamTokenResponse400ErrorCode",
    "CreateStreamTokenResponse401",
    "CreateStreamTokenResponse401Error",
    "CreateStreamTokenResponse401ErrorCode",
    "CreateStreamTokenResponse404",
    "CreateStreamTokenResponse404Error",
    "CreateStreamTokenResponse404ErrorCode",
    "CreateStreamTokenResponse408",
    "CreateStreamTokenResponse408Error",
    "CreateStreamTokenResponse408ErrorCode",
    "CreateStreamTokenResponse413",
    "CreateStreamTokenResponse413Error",
    "CreateStreamTokenResponse413ErrorCode",
    "CreateStreamTokenResponse415",
    "CreateStreamTokenResponse415Error",
    "CreateStreamTokenResponse415ErrorCode",
    "CreateStreamTokenResponse422",
    "CreateStreamTokenResponse422Error",
    "CreateStreamTokenResponse422ErrorCode",
    "CreateStreamTokenResponse429",
    "CreateStreamTokenResponse429Error",
    "CreateStreamTokenResponse429ErrorCode",
    "CreateStreamTokenResponse500",
    "CreateStreamTokenResponse500Error",
    "CreateStreamTokenResponse500ErrorCode",
    "CreateStreamTokenResponse503",
    "CreateStreamTokenResponse503Error",
    "CreateStreamTokenResponse503ErrorCode",
    "EmailBodyNotification",
    "EmailBodyNotificationMetadata",
    "EmailPlayerNotify",
    "EmailRecipient",
    "EmailTemplateNotification",
    "EmailTemplateNotificationData",
    "EmailTemplateNotificationMetadata",
    "EndEvent",
    "Error",
    "ErrorError",
    "ErrorErrorCode",
    "EventAccepted",
    "EventPage",
    "GetJobResponse401",
    "GetJobResponse401Error",
    "GetJobResponse401ErrorCode",
    "GetJobResponse404",
    "GetJobResponse404Error",
    "GetJobResponse404ErrorCode",
    "GetJobResponse429",
    "GetJobResponse429Error",
    "GetJobResponse429ErrorCode",
    "GetJobResponse500",
    "GetJobResponse500Error",
    "GetJobResponse500ErrorCode",
    "GetJobResponse503",
    "GetJobResponse503Error",
    "GetJobResponse503ErrorCode",
    "GetMatchResponse401",
    "GetMatchResponse401Error",
    "GetMatchResponse401ErrorCode",
    "GetMatchResponse404",
    "GetMatchResponse404Error",
    "GetMatchResponse404ErrorCode",
    "GetMatchResponse429",
    "GetMatchResponse429Error",
    "GetMatchResponse429ErrorCode",
    "GetMatchResponse500",
    "GetMatchResponse500Error",
    "GetMatchResponse500ErrorCode",
    "GetMatchResponse503",
    "GetMatchResponse503Error",
    "GetMatchResponse503ErrorCode",
    "HealthResponse200",
    "IssuedToken",
    "Job",
    "JobHistoryItem",
    "JobHistoryItemOutcome",
    "JobKind",
    "JobPage",
    "JobPayload",
    "JobStatus",
    "JoinEvent",
    "ListDeadLettersResponse400",
    "ListDeadLettersResponse400Error",
    "ListDeadLettersResponse400ErrorCode",
    "ListDeadLettersResponse401",
    "ListDeadLettersResponse401Error",
    "ListDeadLettersResponse401ErrorCode",
    "ListDeadLettersResponse429",
    "ListDeadLettersResponse429Error",
    "ListDeadLettersResponse429ErrorCode",
    "ListDeadLettersResponse500",
    "ListDeadLettersResponse500Error",
    "ListDeadLettersResponse500ErrorCode",
    "ListDeadLettersResponse503",
    "ListDeadLettersResponse503Error",
    "ListDeadLettersResponse503ErrorCode",
    "ListDeadLettersView",
    "ListJobsResponse400",
    "ListJobsResponse400Error",
    "ListJobsResponse400ErrorCode",
    "ListJobsResponse401",
    "ListJobsResponse401Error",
    "ListJobsResponse401ErrorCode",
    "ListJobsResponse429",
    "ListJobsResponse429Error",
    "ListJobsResponse429ErrorCode",
    "ListJobsResponse500",
    "ListJobsResponse500Error",
    "ListJobsResponse500ErrorCode",
    "ListJobsResponse503",
    "ListJobsResponse503Error",
    "ListJobsResponse503ErrorCode",
    "ListJobsView",
    "ListMatchEventsResponse400",
    "ListMatchEventsResponse400Error",
    "ListMatchEventsResponse400ErrorCode",
    "ListMatchEventsResponse401",
    "ListMatchEventsResponse401Error",
    "ListMatchEventsResponse401ErrorCode",
    "ListMatchEventsResponse404",
    "ListMatchEventsResponse404Error",
    "ListMatchEventsResponse404ErrorCode",
    "ListMatchEventsResponse429",
    "ListMatchEventsResponse429Error",
    "ListMatchEventsResponse429ErrorCode",
    "ListMatchEventsResponse500",
    "ListMatchEventsResponse500Error",
    "ListMatchEventsResponse500ErrorCode",
    "ListMatchEventsResponse503",
    "ListMatchEventsResponse503Error",
    "ListMatchEventsResponse503ErrorCode",
    "ListQueuesResponse401",
    "ListQueuesResponse401Error",
    "ListQueuesResponse401ErrorCode",
    "ListQueuesResponse429",
    "ListQueuesResponse429Error",
    "ListQueuesResponse429ErrorCode",
    "ListQueuesResponse500",
    "ListQueuesResponse500Error",
    "ListQueuesResponse500ErrorCode",
    "ListQueuesResponse503",
    "ListQueuesResponse503Error",
    "ListQueuesResponse503ErrorCode",
    "ListWorkersResponse401",
    "ListWorkersResponse401Error",
    "ListWorkersResponse401ErrorCode",
    "ListWorkersResponse429",
    "ListWorkersResponse429Error",
    "ListWorkersResponse429ErrorCode",
    "ListWorkersResponse500",
    "ListWorkersResponse500Error",
    "ListWorkersResponse500ErrorCode",
    "ListWorkersResponse503",
    "ListWorkersResponse503Error",
    "ListWorkersResponse503ErrorCode",
    "LogBodyNotification",
    "LogBodyNotificationMetadata",
    "LoggedEvent",
    "LoggedEventType",
    "LogPlayerNotify",
    "LogRecipient",
    "LogTemplateNotification",
    "LogTemplateNotificationData",
    "LogTemplateNotificationMetadata",
    "Match",
    "MatchMetadata",
    "MatchType",
    "MatchView",
    "MatchViewMetadata",
    "MatchViewResultType0",
    "MatchViewResultType0EndedBy",
    "MatchViewResultType0StandingsItem",
    "MatchViewState",
    "MatchViewType",
    "MetricsResponse500",
    "MetricsResponse500Error",
    "MetricsResponse500ErrorCode",
    "OpenapiResponse200",
    "Player",
    "Priority",
    "PushBodyNotification",
    "PushBodyNotificationMetadata",
    "PushPlayerNotify",
    "PushRecipient",
    "PushTemplateNotification",
    "PushTemplateNotificationData",
    "PushTemplateNotificationMetadata",
    "Queues",
    "QueuesQueuesItem",
    "QueuesQueuesItemCounts",
    "QuietHours",
    "Ready",
    "ReadyBroker",
    "ReadyStatus",
    "ReadyStore",
    "RetryJobResponse401",
    "RetryJobResponse401Error",
    "RetryJobResponse401ErrorCode",
    "RetryJobResponse404",
    "RetryJobResponse404Error",
    "RetryJobResponse404ErrorCode",
    "RetryJobResponse409",
    "RetryJobResponse409Error",
    "RetryJobResponse409ErrorCode",
    "RetryJobResponse429",
    "RetryJobResponse429Error",
    "RetryJobResponse429ErrorCode",
    "RetryJobResponse500",
    "RetryJobResponse500Error",
    "RetryJobResponse500ErrorCode",
    "RetryJobResponse503",
    "RetryJobResponse503Error",
    "RetryJobResponse503ErrorCode",
    "ScoreEvent",
    "SmsBodyNotification",
    "SmsBodyNotificationMetadata",
    "SmsPlayerNotify",
    "SmsRecipient",
    "SmsTemplateNotification",
    "SmsTemplateNotificationData",
    "SmsTemplateNotificationMetadata",
    "StreamMatchResponse200",
    "StreamMatchResponse400",
    "StreamMatchResponse400Error",
    "StreamMatchResponse400ErrorCode",
    "StreamMatchResponse401",
    "StreamMatchResponse401Error",
    "StreamMatchResponse401ErrorCode",
    "StreamMatchResponse403",
    "StreamMatchResponse403Error",
    "StreamMatchResponse403ErrorCode",
    "StreamMatchResponse404",
    "StreamMatchResponse404Error",
    "StreamMatchResponse404ErrorCode",
    "StreamMatchResponse429",
    "StreamMatchResponse429Error",
    "StreamMatchResponse429ErrorCode",
    "StreamMatchResponse500",
    "StreamMatchResponse500Error",
    "StreamMatchResponse500ErrorCode",
    "StreamMatchResponse503",
    "StreamMatchResponse503Error",
    "StreamMatchResponse503ErrorCode",
    "StreamMatchWebSocketResponse400",
    "StreamMatchWebSocketResponse400Error",
    "StreamMatchWebSocketResponse400ErrorCode",
    "StreamMatchWebSocketResponse401",
    "StreamMatchWebSocketResponse401Error",
    "StreamMatchWebSocketResponse401ErrorCode",
    "StreamMatchWebSocketResponse403",
    "StreamMatchWebSocketResponse403Error",
    "StreamMatchWebSocketResponse403ErrorCode",
    "StreamMatchWebSocketResponse404",
    "StreamMatchWebSocketResponse404Error",
    "StreamMatchWebSocketResponse404ErrorCode",
    "StreamMatchWebSocketResponse429",
    "StreamMatchWebSocketResponse429Error",
    "StreamMatchWebSocketResponse429ErrorCode",
    "StreamMatchWebSocketResponse500",
    "StreamMatchWebSocketResponse500Error",
    "StreamMatchWebSocketResponse500ErrorCode",
    "StreamMatchWebSocketResponse503",
    "StreamMatchWebSocketResponse503Error",
    "StreamMatchWebSocketResponse503ErrorCode",
    "TimeZone",
    "TokenRequest",
    "WebhookBodyNotification",
    "WebhookBodyNotificationMetadata",
    "WebhookPlayerNotify",
    "WebhookRecipient",
    "WebhookTemplateNotification",
    "WebhookTemplateNotificationData",
    "WebhookTemplateNotificationMetadata",
    "Workers",
    "WorkersWorkersItem",
    "WorkersWorkersItemStatus",
)
