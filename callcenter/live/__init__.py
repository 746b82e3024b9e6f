"""The live engine: the imperative shell around the pure cores.

It turns the switch's typed events into calls of the IVR interpreter and of
the ACD core, carries out what they decide through the switch layer, and
writes what happened to the database. Nothing here builds a FreeSWITCH
command string: that is callcenter.esl's job.
"""
