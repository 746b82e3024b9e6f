"""Outbound dialer: the pure cores (no gevent, no sockets, no database).

- ``pacing``: how many numbers to dial now (preview, progressive, predictive,
  agentless) and the abandon-rate window.
- ``windows``: may this contact be called now, in their local time; when next.
- ``retry``: a dial's outcome -> final state or next attempt time; switch
  hang-up causes -> outcomes.
- ``campaign_file``: the campaign YAML format, validated at file:line:column.
- ``contact_list``: CSV import of a contact list, every bad row reported.

The shell that dials, stores and shows lives elsewhere and calls these.
"""
